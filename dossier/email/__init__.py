"""Email: reading RFC 822 messages (and Outlook items) into one shape, threads, authenticity."""

"""Helpers shared by the Outlook readers (.msg, .pst) and the TNEF unpacker."""

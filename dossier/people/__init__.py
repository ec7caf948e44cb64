"""People: who the case's persons are, and who talks to and about whom."""

"""Writes to the follow-up record. Each service owns its transaction and its history rows."""

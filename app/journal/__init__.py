"""What every write leaves behind: its outbox events and its audit row."""

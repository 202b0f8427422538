"""Change events: the live stream and the catch-up query."""

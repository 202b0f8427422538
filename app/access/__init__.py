"""The decision engine: which objects a caller may read and change, and why."""

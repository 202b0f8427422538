"""The audit log: who did what, when, and how it ended."""

"""Identity: who you are, sessions, users, memberships and API keys."""

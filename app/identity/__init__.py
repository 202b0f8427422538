"""Users, memberships, sessions, tokens, API keys and login rate limits."""

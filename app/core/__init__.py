"""The base every domain stands on: settings, databases, errors, pagination, validation."""

"""Alembic revisions for the Postgres schema (see `nexus migrate`)."""

"""Entities and their relationships: records and write use cases."""

"""Entities and their relationships."""

"""Datasets, their jobs and runs, and the entities that describe them."""

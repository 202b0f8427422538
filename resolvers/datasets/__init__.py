"""Datasets, jobs and runs in GraphQL."""

"""Lineage traversal in GraphQL: lineage, impact, path and column lineage."""

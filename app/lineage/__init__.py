"""Lineage: OpenLineage parsing and ingest, manual lineage, traversals."""

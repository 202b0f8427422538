"""Nexus Graph: entities, datasets, lineage and governance policies as one GraphQL graph."""

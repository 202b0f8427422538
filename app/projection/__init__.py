"""Outbox to Neo4j: the projector, rebuild and verify."""

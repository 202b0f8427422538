"""Neo4j: driver lifecycle, every Cypher statement, constraints, and the outbox projector."""

"""Demo data: the Corvid Agritech knowledge graph and its lineage."""

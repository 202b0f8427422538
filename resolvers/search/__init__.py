"""Search over entities, datasets and jobs in GraphQL."""

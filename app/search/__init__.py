"""Full-text search over entities, datasets and jobs."""

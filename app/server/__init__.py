"""The composition root: the ASGI app, its HTTP edges, the result cache and the CLI."""

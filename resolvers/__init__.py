"""The GraphQL surface: one package per domain, merged in `resolvers.schema`."""

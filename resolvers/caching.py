"""Which root fields the shared result cache may answer (`app.server.result_cache`): a
field says so itself, with `@strawberry.field(metadata=CACHEABLE, ...)`.

A root field is cacheable when its answer depends only on the data and on the caller's
access decisions: it reads the catalogue every member of an organisation shares. Never a
mutation, `me`, `changes`, or the stewards' policy and audit fields.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.base import BaseSchema
from strawberry.types.base import StrawberryObjectDefinition

CACHEABLE: dict[str, Any] = {"cacheable": True}


def cacheable_root_fields(schema: BaseSchema) -> frozenset[str]:
    """The GraphQL names of the Query fields declared `CACHEABLE`, and `__typename`."""
    query = schema.get_type_by_name("Query")
    fields = query.fields if isinstance(query, StrawberryObjectDefinition) else []
    names = {
        schema.config.name_converter.from_field(field)
        for field in fields
        if field.metadata and field.metadata.get("cacheable")
    }
    return frozenset(names | {"__typename"})

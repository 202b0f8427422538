"""Which GraphQL types `node(id)` and `nodes(ids)` resolve, and how: each domain declares its
own (`NODES` in its `types.py`), and the schema assembly merges them (`resolvers.schema`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from resolvers.context import Info
from resolvers.node import Node


@dataclass(frozen=True, slots=True)
class NodeType:
    """A type that implements `Node`: its class, and how one object of it is loaded by id
    (through the domain's loaders, so that many are batched)."""

    cls: type[Node]
    load: Callable[[Info, uuid.UUID], Awaitable[Node | None]]

    @property
    def name(self) -> str:
        return self.cls.__name__


class NodeTypes:
    def __init__(self, *domains: Iterable[NodeType]) -> None:
        self._by_name: dict[str, NodeType] = {}
        for node_type in (t for domain in domains for t in domain):
            if node_type.name in self._by_name:
                raise ValueError(f"two node types are named {node_type.name}")
            self._by_name[node_type.name] = node_type

    def get(self, name: str) -> NodeType | None:
        return self._by_name.get(name)

    @property
    def classes(self) -> Sequence[type[Node]]:
        return [node_type.cls for node_type in self._by_name.values()]


class WithNodeTypes(Protocol):
    """The schema, which carries the merged node types (`resolvers.schema.NexusSchema`)."""

    node_types: NodeTypes

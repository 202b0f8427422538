"""What every domain's DataLoaders share: the bundle they are built in, once per operation.

A domain's `loaders.py` defines a `LoaderBundle` of its `<Thing>By<Key>Loader`s; field
resolvers reach it with `info.context.loaders(EntityLoaders)`, which builds the bundle on
first use in an operation and hands the same one out after that. The context names no
domain: a new domain's loaders need no registration anywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.dataloader import DataLoader

from app.access.control import AccessControl
from app.core.scope import Scope
from app.runtime.state import AppState

AccessGetter = Callable[[], Awaitable[AccessControl]]


class LoaderBundle:
    """The loaders of one domain for one operation (never longer: a loader's cache must not
    outlive the read it serves)."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self.state, self.scope, self.access = state, scope, access

    def clear(self) -> None:
        """Let go of everything loaded. A DataLoader refers to itself through its load
        function, so what it cached sits in a reference cycle until cleared."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
                loader.batch = None

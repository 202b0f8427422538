"""Relay global IDs and the `Node` interface every addressable object implements."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from typing import Protocol

import strawberry

from app.core.errors import BadUserInput


def to_global_id(type_name: str, raw_id: uuid.UUID | str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode())


def from_global_id(global_id: str, *, field: str = "id") -> tuple[str, uuid.UUID]:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded).decode().partition(":")
        if not type_name or not raw:
            raise ValueError("missing type or id")
        return type_name, uuid.UUID(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadUserInput(
            f"{field} is not a valid ID; pass an `id` value returned by this API "
            f"(got {global_id[:80]!r}).",
            field=field,
        ) from exc


def expect_global_id(global_id: str, type_name: str, *, field: str = "id") -> uuid.UUID:
    actual, raw = from_global_id(global_id, field=field)
    if actual != type_name:
        raise BadUserInput(
            f"{field} is the ID of a {actual}, but a {type_name} ID is needed here.", field=field
        )
    return raw


@strawberry.interface(description="An object with a globally unique ID, fetchable by `node`.")
class Node:
    @strawberry.field(description="The global ID of this object.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


class HasCursor(Protocol):
    @property
    def cursor(self) -> str: ...


@strawberry.type(description="Relay pagination state of a connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, edges: Sequence[HasCursor], *, has_next: bool, has_previous: bool) -> PageInfo:
        """The page info of the edges of one page, in order."""
        return cls(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )

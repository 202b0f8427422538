"""Opaque keyset cursors and pages, shared by every list in the API."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from app.core.errors import BadUserInput

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in an ordered list: the sort value of the last item seen and its id."""

    value: Any
    id: uuid.UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.value, str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, *, field: str = "after") -> Cursor:
        try:
            padded = text + "=" * (-len(text) % 4)
            value, raw_id = orjson.loads(base64.urlsafe_b64decode(padded))
            return cls(value=value, id=uuid.UUID(raw_id))
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
            raise BadUserInput(
                f"{field} is not a cursor this API issued; pass an endCursor from a previous page.",
                field=field,
            ) from exc

    def sort_value(self, sort_field: str) -> Any:
        if sort_field in ("created_at", "updated_at"):
            try:
                return datetime.fromisoformat(str(self.value))
            except ValueError as exc:
                raise BadUserInput(
                    "after is a cursor for another ordering; start again without it.",
                    field="after",
                ) from exc
        if not isinstance(self.value, str):
            raise BadUserInput(
                "after is a cursor for another ordering; start again without it.", field="after"
            )
        return self.value

    @classmethod
    def for_entity(cls, entity: Any, sort_field: str) -> Cursor:
        value = getattr(entity, sort_field)
        if isinstance(value, datetime):
            value = value.isoformat()
        return cls(value=value, id=entity.id)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    cursors: list[Cursor]

    def shown(self, presented: Sequence[U | None]) -> list[tuple[U, Cursor]]:
        """The page's items as the caller may see them (`presented`: one per item, None
        when hidden), each with its own cursor; hidden items are left out, so a row that a
        check in Python hides after the SQL let it through costs the page that row only."""
        return [
            (item, cursor)
            for item, cursor in zip(presented, self.cursors, strict=True)
            if item is not None
        ]

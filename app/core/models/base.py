"""The declarative base, its naming convention, and expressions shared by the records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    MetaData,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The organisation that `nexus migrate` creates; `nexus create-admin` bootstraps it by default.
DEFAULT_ORGANIZATION_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONB,
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def now() -> Any:
    return func.now()


def search_vector(name: Any, description: Any) -> Any:
    """The full-text document of a record: name and description, punctuation as spaces so
    that `public.orders` is found by `orders`. Search queries use the same expression, which
    is what lets Postgres use the GIN indexes below."""
    document = func.coalesce(name, "") + " " + func.coalesce(description, "")
    return func.to_tsvector(
        literal_column("'simple'::regconfig"), func.translate(document, "._-/:", "     ")
    )

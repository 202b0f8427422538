"""Who is acting, and in which organisation: passed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.models import DEFAULT_ORGANIZATION_ID


@dataclass(frozen=True, slots=True)
class Scope:
    organization_id: uuid.UUID
    actor: str

    @classmethod
    def system(cls, actor: str = "system") -> Scope:
        return cls(organization_id=DEFAULT_ORGANIZATION_ID, actor=actor)

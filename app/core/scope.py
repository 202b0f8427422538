"""Who is acting, and in which organisation: passed to every service call."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from app.core.models import DEFAULT_ORGANIZATION_ID


class Role(enum.StrEnum):
    """Roles per organisation, each including everything the ones before it may do."""

    VIEWER = "viewer"
    EDITOR = "editor"
    STEWARD = "steward"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class Scope:
    """The authenticated principal: a user, an API key, or the system (CLI and seed)."""

    organization_id: uuid.UUID
    actor: str
    role: Role = Role.ADMIN
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    token_family: str | None = None
    # The user an API key acts for (its maker): the policies naming that user, and the
    # OWNER condition, apply to the key as to them. Not `user_id`: a key is not a session.
    acting_for: uuid.UUID | None = None

    @property
    def policy_user_id(self) -> uuid.UUID | None:
        """Who the policies see: the user, or the user an API key acts for."""
        return self.user_id if self.user_id is not None else self.acting_for

    @classmethod
    def system(
        cls, actor: str = "system", organization_id: uuid.UUID = DEFAULT_ORGANIZATION_ID
    ) -> Scope:
        return cls(organization_id=organization_id, actor=actor)

    def may(self, role: Role) -> bool:
        return self.role.includes(role)

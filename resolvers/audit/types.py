"""GraphQL types for audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.core import models
from resolvers.node import PageInfo


@strawberry.type(description="One write or one refused attempt, as it happened.")
class AuditEntry:
    record: strawberry.Private[models.AuditLog]

    @strawberry.field(description="Increases with every entry.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.record.id))

    @strawberry.field(description="Who: `user:<id>`, `api-key:<prefix>` or a system actor.")
    def actor(self) -> str:
        return self.record.actor

    @strawberry.field(description="What, e.g. `entity.update`, or the refused field's name.")
    def action(self) -> str:
        return self.record.action

    @strawberry.field
    def target_type(self) -> str:
        return self.record.target_type

    @strawberry.field(description="The target's raw id, when it has one.")
    def target_id(self) -> str | None:
        return str(self.record.target_id) if self.record.target_id else None

    @strawberry.field(description="`success` or `denied`.")
    def outcome(self) -> str:
        return self.record.outcome

    @strawberry.field
    def before(self) -> JSON | None:
        return cast(JSON, self.record.before)

    @strawberry.field
    def after(self) -> JSON | None:
        return cast(JSON, self.record.after)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo

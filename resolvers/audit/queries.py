"""`auditLog`: the organisation's audit trail, newest first, for stewards and admins, as
the policies let each of them read it (`app.audit.reads`)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.audit import reads as audit_reads
from app.audit.reads import AuditFilter
from app.core.errors import BadUserInput
from app.core.scope import Role
from resolvers.audit.types import AuditEntry, AuditEntryConnection, AuditEntryEdge
from resolvers.context import Info
from resolvers.node import PageInfo, from_global_id
from resolvers.pagination import page_size
from resolvers.permissions import requires


@strawberry.input(description="Entries must match every condition given.")
class AuditFilterInput:
    actions: list[str] | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="A global ID, or the raw id shown in `targetId`."
    )
    outcome: str | None = strawberry.field(default=None, description="`success` or `denied`.")
    since: datetime | None = None
    until: datetime | None = None

    def to_filter(self) -> AuditFilter:
        target = None
        if self.target_id is not None:
            try:
                target = uuid.UUID(self.target_id)
            except ValueError:
                target = from_global_id(self.target_id, field="filter.targetId")[1]
        return AuditFilter(
            actions=self.actions or (),
            actor=self.actor,
            target_type=self.target_type,
            target_id=target,
            outcome=self.outcome,
            since=self.since,
            until=self.until,
        )


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise BadUserInput("after must be an endCursor of auditLog.", field="after")
    return int(value)


@strawberry.type
class AuditQueries:
    @strawberry.field(
        extensions=requires(Role.STEWARD),
        description="Every write and refused attempt in your organisation, newest first. "
        "Entries naming what the policies hide from you are left out; snapshots of sensitive "
        "objects are masked as the objects are.",
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection:
        rows, has_next = await audit_reads.audit_entries(
            info.context.state.sessions,
            organization_id=info.context.scope.organization_id,
            flt=(filter or AuditFilterInput()).to_filter(),
            first=page_size(info, first),
            before_id=_cursor(after),
            access=await info.context.access(),
        )
        edges = [AuditEntryEdge(cursor=str(row.id), node=AuditEntry(record=row)) for row in rows]
        return AuditEntryConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next=has_next, has_previous=after is not None),
        )

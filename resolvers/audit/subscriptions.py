"""`auditEvents`: the audit log as it is written, for admins, through the policies as
`auditLog` is (`app.audit.reads`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.audit import reads as audit_reads
from app.core.scope import Role
from resolvers.audit.types import AuditEntry
from resolvers.context import Info
from resolvers.permissions import requires


@strawberry.type
class AuditSubscriptions:
    @strawberry.subscription(
        extensions=requires(Role.ADMIN),
        description="Every audit entry of your organisation as it is written: writes and "
        "refused attempts, from any replica, left out and masked as in `auditLog`. "
        "Optionally only some `actions` or one `outcome` (`success` or `denied`).",
    )
    async def audit_events(
        self, info: Info, actions: list[str] | None = None, outcome: str | None = None
    ) -> AsyncGenerator[AuditEntry, None]:
        organization_id = info.context.scope.organization_id
        wanted = set(actions) if actions else None
        async with info.context.state.audit_feed.subscribe() as subscription:
            async for entry in subscription.entries():
                if entry.organization_id != organization_id:
                    continue
                if wanted is not None and entry.action not in wanted:
                    continue
                if outcome is not None and entry.outcome != outcome:
                    continue
                await info.context.ensure_credential()
                if entry.target_type in audit_reads.NAMING:
                    # Judged by the policies in force now, as `auditLog` would show it: the
                    # organisation's stamp says whether the process's copy still holds.
                    context = info.context
                    context.refresh_loaders()
                    context.policy_stamp = await context.state.policy_cache.stamp(organization_id)
                    shown = await audit_reads.present_entry(
                        context.state.sessions, await context.access(), entry
                    )
                    if shown is None:
                        continue
                    entry = shown
                yield AuditEntry(record=entry)

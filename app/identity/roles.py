"""Role requirements: one check for every entry point that declares one (GraphQL fields
through `resolvers.permissions`, the OpenLineage endpoints through their routes)."""

from __future__ import annotations

from app.core.db import SessionFactory
from app.core.errors import Forbidden
from app.core.scope import Role, Scope
from app.journal.audit import record_denial


async def require_role(
    sessions: SessionFactory, scope: Scope, role: Role, *, action: str, doing: str
) -> None:
    """FORBIDDEN unless `scope` has at least `role`; the refusal lands in the audit log (in
    a transaction of its own) as an attempt at `action`. `doing` names it for the caller."""
    if scope.may(role):
        return
    await record_denial(
        sessions,
        scope=scope,
        action=action,
        target_type="operation",
        reason={"required": role.value, "role": scope.role.value},
    )
    raise Forbidden(
        f"{doing} needs the {role.value} role; you are {scope.role.value}.",
        requiredRole=role.value,
    )

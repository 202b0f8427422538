"""Role requirements, declared on fields and mutations and shown in the SDL as
`@requiresRole(role: ...)`. A refusal is FORBIDDEN and lands in the audit log."""

from __future__ import annotations

import inspect
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from app.core.errors import Forbidden
from app.core.scope import Role
from app.identity.roles import require_role
from app.journal.audit import record_denial
from resolvers.context import Info

RoleType = strawberry.enum(Role, name="Role", description="Roles, each including the ones before.")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresRole",
    description="Callers need at least this role in their organisation.",
)
class RequiresRole:
    role: RoleType  # type: ignore[valid-type]


class HasRole(BasePermission):
    def __init__(self, role: Role) -> None:
        self.role = role

    @property
    def schema_directive(self) -> object:
        return RequiresRole(role=self.role)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # A WebSocket authenticated once, when it opened: an operation sent on it after a
        # logout, a revoked API key or the token's expiry closes it instead of running.
        await info.context.ensure_credential()
        scope = info.context.scope  # UNAUTHENTICATED without a caller
        await require_role(
            info.context.state.sessions,
            scope,
            self.role,
            action=info.field_name,
            doing=info.field_name,
        )
        return True


class AuditRefusals(FieldExtension):
    """A FORBIDDEN raised by the use case itself (a policy, an approval rule) is audited in
    its own transaction: the refused write's transaction has rolled back."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        try:
            result = next_(source, info, **kwargs)
            # A subscription's resolver gives an async generator, not an awaitable.
            return await result if inspect.isawaitable(result) else result
        except Forbidden as exc:
            kind, target = exc.target or ("operation", None)
            await record_denial(
                info.context.state.sessions,
                scope=info.context.scope,
                action=info.field_name,
                target_type=kind,
                target_id=target,
                reason={"message": exc.message},
            )
            raise


def requires(role: Role, *, audit_refusals: bool = True) -> list[FieldExtension]:
    """Field extensions for `@strawberry.field(extensions=requires(Role.EDITOR))`.
    (The last extension is the outermost: the role is checked before anything runs.)"""
    inner: list[FieldExtension] = [AuditRefusals()] if audit_refusals else []
    return [*inner, PermissionExtension(permissions=[HasRole(role)])]


class Public(FieldExtension):
    """Declares a field open to callers without credentials (`login`, `refreshToken`): the
    counterpart of `requires`, so that every root field says who may call it."""

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        return await next_(source, info, **kwargs)


def public() -> list[FieldExtension]:
    """Field extensions for `@strawberry.mutation(extensions=public())`."""
    return [Public()]

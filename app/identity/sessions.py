"""Sessions: login, refresh-token rotation, logout.

Refresh tokens rotate: each use marks the token used and issues the next one in the same
family; presenting a used token again means it was stolen, so the whole family is revoked
(in Postgres here, and in Redis for its access tokens by the caller).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.errors import Forbidden, Unauthenticated
from app.core.models import Membership, Organization, RefreshToken, User
from app.core.scope import Role, Scope
from app.identity.tokens import digest, new_refresh_token
from app.identity.users import DUMMY_HASH, actor_of, password_matches
from app.journal.audit import record_audit


@dataclass(frozen=True, slots=True)
class Session:
    """What a login or a refresh hands out (the access token is signed by the caller)."""

    user: User
    organization_id: uuid.UUID
    role: Role
    family_id: uuid.UUID
    refresh_token: str


async def login(
    sessions: SessionFactory,
    *,
    email: str,
    password: str,
    organization_slug: str | None,
    refresh_ttl: int,
) -> Session:
    address = email.strip().lower()
    async with sessions() as session:
        user = await session.scalar(
            select(User).where(User.email == address, User.disabled_at.is_(None))
        )
    if user is None:
        password_matches(DUMMY_HASH, password)  # the same time as for a known user
        raise Unauthenticated("Wrong email or password.")
    if not password_matches(user.password_hash, password):
        await _record_failed_login(sessions, user.id)
        raise Unauthenticated("Wrong email or password.")
    async with sessions() as session, session.begin():
        query = (
            select(Membership, Organization)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.created_at)
        )
        if organization_slug is not None:
            query = query.where(Organization.slug == organization_slug.strip().lower())
        row = (await session.execute(query.limit(1))).first()
        if row is None:
            raise Unauthenticated("This user is not a member of that organisation.")
        membership, org = row
        scope = Scope(
            organization_id=org.id,
            actor=actor_of(user),
            role=Role(membership.role),
            user_id=user.id,
        )
        family = uuid.uuid4()
        token = _add_refresh_token(session, user.id, org.id, family, refresh_ttl)
        record_audit(
            session, scope=scope, action="session.login", target_type="user", target_id=user.id
        )
    return Session(user, org.id, Role(membership.role), family, token)


async def _record_failed_login(sessions: SessionFactory, user_id: uuid.UUID) -> None:
    """A wrong password for a known user, audited in each of their organisations."""
    async with sessions() as session, session.begin():
        orgs = list(
            await session.scalars(
                select(Membership.organization_id).where(Membership.user_id == user_id)
            )
        )
        for org in orgs:
            record_audit(
                session,
                scope=Scope(organization_id=org, actor="anonymous"),
                action="session.login",
                target_type="user",
                target_id=user_id,
                outcome="denied",
                after={"reason": "wrong password"},
            )


def _add_refresh_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    family: uuid.UUID,
    ttl: int,
) -> str:
    token = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user_id,
            organization_id=organization_id,
            family_id=family,
            token_hash=digest(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
    )
    return token


class RefreshTokenReused(Unauthenticated):
    def __init__(self, family: uuid.UUID) -> None:
        super().__init__("This refresh token was already used; its session has been revoked.")
        self.family = family


async def refresh(sessions: SessionFactory, *, token: str, refresh_ttl: int) -> Session:
    """Rotate: the presented token is used up and a new one issued in its family."""
    async with sessions() as session, session.begin():
        row = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update()
        )
        if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
            raise Unauthenticated("The refresh token is not valid; log in again.")
        if row.used_at is not None:
            reused = row.family_id
        else:
            reused = None
            member = (
                await session.execute(
                    select(User, Membership)
                    .join(Membership, Membership.user_id == User.id)
                    .where(
                        User.id == row.user_id,
                        User.disabled_at.is_(None),
                        Membership.organization_id == row.organization_id,
                    )
                )
            ).first()
            if member is None:
                raise Unauthenticated("This user can no longer sign in here.")
            user, membership = member
            row.used_at = func.now()
            new_token = _add_refresh_token(
                session, user.id, row.organization_id, row.family_id, refresh_ttl
            )
    if reused is not None:
        await revoke_family(sessions, family=reused)
        raise RefreshTokenReused(reused)
    return Session(user, row.organization_id, Role(membership.role), row.family_id, new_token)


async def revoke_family(sessions: SessionFactory, *, family: uuid.UUID) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )


async def logout(sessions: SessionFactory, *, scope: Scope, everywhere: bool) -> None:
    """Revoke the caller's refresh tokens: this session's family, or all of them."""
    if scope.user_id is None:
        raise Forbidden("Only users have sessions; API keys are revoked with revokeApiKey.")
    condition = (
        RefreshToken.user_id == scope.user_id
        if everywhere
        else RefreshToken.family_id == uuid.UUID(scope.token_family or str(uuid.UUID(int=0)))
    )
    async with sessions() as session, session.begin():
        await session.execute(
            update(RefreshToken)
            .where(condition, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        record_audit(
            session,
            scope=scope,
            action="session.logout_all" if everywhere else "session.logout",
            target_type="user",
            target_id=scope.user_id,
        )

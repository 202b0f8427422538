"""Users, memberships, API keys and sessions (login, refresh rotation, logout).

Every write is one transaction with its audit row. Refresh tokens rotate: each use marks the
token used and issues the next one in the same family; presenting a used token again means it
was stolen, so the whole family is revoked (in Postgres, and in Redis for its access tokens).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation
from app.audit import record_audit
from app.db import SessionFactory
from app.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from app.models import ApiKey, Membership, Organization, RefreshToken, User
from app.scope import Role, Scope
from app.tokens import API_KEY_PREFIX, digest, new_api_key, new_refresh_token

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 12


@dataclass(frozen=True, slots=True)
class Session:
    """What a login or a refresh hands out (the access token is signed by the caller)."""

    user: User
    organization_id: uuid.UUID
    role: Role
    family_id: uuid.UUID
    refresh_token: str


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(
            f"password must be at least {MIN_PASSWORD} characters.", field="password"
        )
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _email(value: str) -> str:
    cleaned = value.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or len(cleaned) > 254 or " " in cleaned:
        raise BadUserInput("email must be an email address.", field="email")
    return cleaned


def role_of(value: str, *, field: str = "role") -> Role:
    try:
        return Role(value.lower())
    except ValueError as exc:
        known = ", ".join(r.value for r in Role)
        raise BadUserInput(f"{field} must be one of {known}.", field=field) from exc


def actor_of(user: User) -> str:
    return f"user:{user.id}"


# --- reads -------------------------------------------------------------------------------


async def users_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[tuple[User, Membership] | None]:
    """Members of one organisation by id, in key order; None for anyone else."""
    rows = await session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.id.in_(ids))
    )
    found = {user.id: (user, membership) for user, membership in rows.tuples()}
    return [found.get(key) for key in ids]


async def members(sessions: SessionFactory, *, organization_id: uuid.UUID) -> list[Membership]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Membership).where(Membership.organization_id == organization_id)
            )
        )


async def organization(sessions: SessionFactory, organization_id: uuid.UUID) -> Organization:
    async with sessions() as session:
        org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound("No organisation has this id.")
    return org


# --- users and memberships ---------------------------------------------------------------


async def create_user(
    sessions: SessionFactory,
    *,
    scope: Scope,
    email: str,
    display_name: str,
    password: str,
    role: Role,
) -> tuple[User, Membership]:
    user = User(
        id=uuid.uuid4(),
        email=_email(email),
        display_name=validation.name(display_name, field="displayName"),
        password_hash=hash_password(password),
    )
    async with sessions() as session, session.begin():
        taken = await session.scalar(select(User.id).where(User.email == user.email))
        if taken is not None:
            raise Conflict("A user with this email already exists.", field="email")
        session.add(user)
        await session.flush()
        membership = Membership(
            user_id=user.id, organization_id=scope.organization_id, role=role.value
        )
        session.add(membership)
        record_audit(
            session,
            scope=scope,
            action="user.create",
            target_type="user",
            target_id=user.id,
            after={"email": user.email, "displayName": user.display_name, "role": role.value},
        )
    return user, membership


async def set_membership(
    sessions: SessionFactory, *, scope: Scope, user_id: uuid.UUID, role: Role
) -> Membership:
    async with sessions() as session, session.begin():
        membership = await session.scalar(
            select(Membership)
            .where(
                Membership.user_id == user_id,
                Membership.organization_id == scope.organization_id,
            )
            .with_for_update()
        )
        if membership is None:
            raise NotFound("No user of your organisation has this id.", id=str(user_id))
        before = {"role": membership.role}
        membership.role = role.value
        membership.updated_at = func.now()
        record_audit(
            session,
            scope=scope,
            action="membership.set",
            target_type="user",
            target_id=user_id,
            before=before,
            after={"role": role.value},
        )
    return membership


async def ensure_admin(
    sessions: SessionFactory,
    *,
    email: str,
    password: str,
    organization_slug: str,
    display_name: str | None = None,
    role: Role = Role.ADMIN,
) -> tuple[User, Organization, bool]:
    """The first user of an organisation (created when missing); for `nexus create-admin`
    and `nexus seed`. Returns whether the user was created."""
    address = _email(email)
    slug = validation.kind(organization_slug, field="organization")
    async with sessions() as session, session.begin():
        org = await session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            org = Organization(id=uuid.uuid4(), slug=slug, name=slug)
            session.add(org)
            await session.flush()
        scope = Scope.system("cli:create-admin", organization_id=org.id)
        user = await session.scalar(select(User).where(User.email == address))
        created = user is None
        if user is None:
            user = User(
                id=uuid.uuid4(),
                email=address,
                display_name=display_name or address.split("@")[0],
                password_hash=hash_password(password),
            )
            session.add(user)
            await session.flush()
            record_audit(
                session,
                scope=scope,
                action="user.create",
                target_type="user",
                target_id=user.id,
                after={"email": address, "role": role.value},
            )
        membership = await session.get(Membership, (user.id, org.id))
        if membership is None:
            session.add(Membership(user_id=user.id, organization_id=org.id, role=role.value))
        elif membership.role != role.value:
            record_audit(
                session,
                scope=scope,
                action="membership.set",
                target_type="user",
                target_id=user.id,
                before={"role": membership.role},
                after={"role": role.value},
            )
            membership.role = role.value
    return user, org, created


# --- sessions ----------------------------------------------------------------------------


async def login(
    sessions: SessionFactory,
    *,
    email: str,
    password: str,
    organization_slug: str | None,
    refresh_ttl: int,
) -> Session:
    address = email.strip().lower()
    async with sessions() as session, session.begin():
        user = await session.scalar(
            select(User).where(User.email == address, User.disabled_at.is_(None))
        )
        if user is None:
            _password_matches(_DUMMY_HASH, password)
            raise Unauthenticated("Wrong email or password.")
        if not _password_matches(user.password_hash, password):
            raise Unauthenticated("Wrong email or password.")
        query = (
            select(Membership, Organization)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.created_at)
        )
        if organization_slug is not None:
            query = query.where(Organization.slug == organization_slug.strip().lower())
        row = (await session.execute(query.limit(1))).tuples().first()
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
                (
                    await session.execute(
                        select(User, Membership)
                        .join(Membership, Membership.user_id == User.id)
                        .where(
                            User.id == row.user_id,
                            User.disabled_at.is_(None),
                            Membership.organization_id == row.organization_id,
                        )
                    )
                )
                .tuples()
                .first()
            )
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


# --- API keys ----------------------------------------------------------------------------


async def create_api_key(
    sessions: SessionFactory, *, scope: Scope, name: str, role: Role
) -> tuple[ApiKey, str]:
    if not scope.may(role):
        raise BadUserInput("An API key cannot have a higher role than yours.", field="role")
    prefix, secret = new_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        organization_id=scope.organization_id,
        name=validation.name(name, field="name"),
        role=role.value,
        prefix=prefix,
        secret_hash=digest(secret),
        created_by=scope.user_id,
    )
    async with sessions() as session, session.begin():
        session.add(key)
        await session.flush()
        await session.refresh(key)
        record_audit(
            session,
            scope=scope,
            action="api_key.create",
            target_type="api_key",
            target_id=key.id,
            after={"name": key.name, "role": key.role, "prefix": prefix},
        )
    return key, secret


async def revoke_api_key(sessions: SessionFactory, *, scope: Scope, key_id: uuid.UUID) -> ApiKey:
    async with sessions() as session, session.begin():
        key = await session.scalar(
            select(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.organization_id == scope.organization_id)
            .with_for_update()
        )
        if key is None:
            raise NotFound("No API key has this id.", id=str(key_id))
        if key.revoked_at is None:
            key.revoked_at = func.now()
            record_audit(
                session,
                scope=scope,
                action="api_key.revoke",
                target_type="api_key",
                target_id=key.id,
                before={"name": key.name, "role": key.role, "prefix": key.prefix},
            )
        await session.flush()
        await session.refresh(key)
    return key


async def api_key_scope(sessions: SessionFactory, secret: str) -> Scope:
    if not secret.startswith(API_KEY_PREFIX):
        raise Unauthenticated("The API key is not valid.")
    async with sessions() as session:
        key = await session.scalar(
            select(ApiKey).where(ApiKey.secret_hash == digest(secret), ApiKey.revoked_at.is_(None))
        )
    if key is None:
        raise Unauthenticated("The API key is not valid or has been revoked.")
    return Scope(
        organization_id=key.organization_id,
        actor=f"api-key:{key.prefix}",
        role=Role(key.role),
        api_key_id=key.id,
    )

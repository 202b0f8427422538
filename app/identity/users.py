"""Users, memberships and API keys. Every write is one transaction with its audit row."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import validation
from app.core.db import SessionFactory
from app.core.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from app.core.models import ApiKey, Membership, Organization, User
from app.core.records import in_key_order, lock_in_organization
from app.core.scope import Role, Scope
from app.identity.tokens import API_KEY_PREFIX, digest, new_api_key
from app.journal.audit import record_audit

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(
            f"password must be at least {MIN_PASSWORD} characters.", field="password"
        )
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
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
    return in_key_order(rows, ids, key=lambda row: row[0].id)


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
        try:
            await session.flush()
        except IntegrityError as exc:
            # Taken by a concurrent request since the check above.
            raise Conflict("A user with this email already exists.", field="email") from exc
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
    sessions: SessionFactory,
    *,
    scope: Scope,
    user_id: uuid.UUID,
    role: Role,
    before_commit: Callable[[], Awaitable[None]] | None = None,
) -> Membership:
    """Change a member's role. `before_commit` (revoking the member's access tokens) runs
    inside the transaction once the member is found: if it fails, the role is unchanged,
    so a demoted member never keeps tokens that carry the old role."""
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
        if before_commit is not None:
            await before_commit()
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


# --- API keys ----------------------------------------------------------------------------


async def create_api_key(
    sessions: SessionFactory, *, scope: Scope, name: str, role: Role
) -> tuple[ApiKey, str]:
    if scope.user_id is None:
        # A key answers for the user who made it (`api_key_scope`); one minted by a key
        # would answer for nobody and outlive the revocation of the key that made it.
        raise Forbidden("API keys are created by a signed-in user, not with an API key.")
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
        key = await lock_in_organization(session, ApiKey, scope, key_id, noun="API key")
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
        found = (
            await session.execute(
                select(ApiKey, Membership.role, User.disabled_at)
                .outerjoin(
                    Membership,
                    (Membership.user_id == ApiKey.created_by)
                    & (Membership.organization_id == ApiKey.organization_id),
                )
                .outerjoin(User, User.id == Membership.user_id)
                .where(ApiKey.secret_hash == digest(secret), ApiKey.revoked_at.is_(None))
            )
        ).first()
    if found is None:
        raise Unauthenticated("The API key is not valid or has been revoked.")
    key, creator_role, creator_disabled = found
    if creator_role is None or creator_disabled is not None:
        raise Unauthenticated(
            "The API key's creator is disabled or no longer a member of this organisation: "
            "an admin must create a new key."
        )
    # A key never does more than the user who made it may do now: demoting them demotes it.
    role = min(Role(key.role), Role(creator_role), key=lambda r: r.rank)
    return Scope(
        organization_id=key.organization_id,
        actor=f"api-key:{key.prefix}",
        role=role,
        api_key_id=key.id,
        acting_for=key.created_by,
    )

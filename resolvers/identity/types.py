"""GraphQL types for identity: users, organisations, sessions and API keys."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.core import models
from app.core.scope import Role
from resolvers.node import Node, to_global_id
from resolvers.permissions import RoleType


@strawberry.type(description="A person who can log in.")
class User(Node):
    record: strawberry.Private[models.User]
    member_role: strawberry.Private[Role | None] = None

    @strawberry.field(description="The global ID of this user.")
    def id(self) -> strawberry.ID:
        return to_global_id("User", self.record.id)

    @strawberry.field
    def email(self) -> str:
        return self.record.email

    @strawberry.field
    def display_name(self) -> str:
        return self.record.display_name

    @strawberry.field(description="The user's role in your organisation.")
    def role(self) -> RoleType | None:  # type: ignore[valid-type]
        return self.member_role

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at


@strawberry.type
class Organization:
    record: strawberry.Private[models.Organization]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Organization", self.record.id)

    @strawberry.field
    def slug(self) -> str:
        return self.record.slug

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="Whether activating a policy needs another steward's approval.")
    def require_policy_approval(self) -> bool:
        return self.record.require_policy_approval


@strawberry.type(description="The caller: a user, or an API key acting for an organisation.")
class Me:
    user: User | None
    organization: Organization
    role: RoleType  # type: ignore[valid-type]
    api_key_id: strawberry.ID | None


@strawberry.type(description="Tokens for a session. Send `Authorization: Bearer <accessToken>`.")
class AuthPayload:
    access_token: str
    refresh_token: str = strawberry.field(
        description="Exchange it with `refreshToken` before the access token expires; each "
        "refresh token works once."
    )
    token_type: str
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User
    role: RoleType  # type: ignore[valid-type]


@strawberry.type(description="A machine credential scoped to one organisation and role.")
class ApiKey(Node):
    record: strawberry.Private[models.ApiKey]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("ApiKey", self.record.id)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def role(self) -> RoleType:  # type: ignore[valid-type]
        return Role(self.record.role)

    @strawberry.field(description="The key's public prefix, to recognise it in listings.")
    def prefix(self) -> str:
        return self.record.prefix

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def revoked_at(self) -> datetime | None:
        return self.record.revoked_at


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str = strawberry.field(
        description="Shown this once; only a hash is stored. Use it as a bearer token."
    )

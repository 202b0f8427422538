"""Postgres records: the system of record. Neo4j is an index rebuilt from these rows.

Alembic revisions in `migrations/` are generated from these models; a test runs
`alembic check` so a model change without a migration fails CI.

One module per domain; every record is importable from here, so Alembic and the domains
see one metadata.
"""

from app.core.models.base import DEFAULT_ORGANIZATION_ID, Base, search_vector
from app.core.models.datasets import (
    Dataset,
    DatasetVersion,
    EntityDataset,
    Job,
    OpenLineageEvent,
    Run,
)
from app.core.models.entities import Entity, EntityVersion, Relationship
from app.core.models.identity import ROLES, ApiKey, Membership, Organization, RefreshToken, User
from app.core.models.journal import AuditLog, OutboxEvent
from app.core.models.policies import Approval, Policy, PolicyVersion

__all__ = [
    "DEFAULT_ORGANIZATION_ID",
    "ROLES",
    "ApiKey",
    "Approval",
    "AuditLog",
    "Base",
    "Dataset",
    "DatasetVersion",
    "Entity",
    "EntityDataset",
    "EntityVersion",
    "Job",
    "Membership",
    "OpenLineageEvent",
    "Organization",
    "OutboxEvent",
    "Policy",
    "PolicyVersion",
    "RefreshToken",
    "Relationship",
    "Run",
    "User",
    "search_vector",
]

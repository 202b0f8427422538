"""How outbox events read to subscribers: the action and the object's global ID."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from app.changes.records import Change
from resolvers.changes.types import ChangeAction, change_action, change_object_id

ORG = uuid.uuid4()


def change(event_type: str, aggregate: str, version: int = 1) -> Change:
    return Change(
        seq=1,
        organization_id=ORG,
        event_type=event_type,
        aggregate_type=aggregate,
        aggregate_id=uuid.UUID(int=7),
        version=version,
        committed_at=datetime.now(UTC),
    )


@pytest.mark.parametrize(
    ("event_type", "aggregate", "version", "action"),
    [
        ("entity.created", "entity", 1, ChangeAction.CREATED),
        ("entity.updated", "entity", 2, ChangeAction.UPDATED),
        ("entity.deleted", "entity", 3, ChangeAction.DELETED),
        ("entity.restored", "entity", 4, ChangeAction.RESTORED),
        ("relationship.created", "relationship", 1, ChangeAction.RELATED),
        ("relationship.deleted", "relationship", 2, ChangeAction.UNRELATED),
        ("dataset.upserted", "dataset", 1, ChangeAction.CREATED),
        ("dataset.upserted", "dataset", 5, ChangeAction.UPDATED),
        ("job.upserted", "job", 3, ChangeAction.UPDATED),
        ("run.upserted", "run", 1, ChangeAction.CREATED),
        ("run.upserted", "run", 2, ChangeAction.UPDATED),
        ("description.deleted", "description", 2, ChangeAction.UNRELATED),
    ],
)
def test_every_event_type_reads_as_an_action(
    event_type: str, aggregate: str, version: int, action: ChangeAction
) -> None:
    assert change_action(change(event_type, aggregate, version)) is action


def test_object_ids_name_the_graphql_type() -> None:
    decoded = base64.urlsafe_b64decode(change_object_id(change("dataset.upserted", "dataset")))
    assert decoded.decode() == f"Dataset:{uuid.UUID(int=7)}"

"""GraphQL types for change events."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.changes.records import Change
from resolvers.node import to_global_id

_TYPE_NAMES = {"entity": "Entity", "relationship": "Relationship", "dataset": "Dataset"}
_ACTIONS = {
    "created": "CREATED",
    "updated": "UPDATED",
    "deleted": "DELETED",
    "restored": "RESTORED",
}


@strawberry.enum(description="What happened to the object.")
class ChangeAction(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    RELATED = "RELATED"
    UNRELATED = "UNRELATED"


def change_action(change: Change) -> ChangeAction:
    verb = change.event_type.rsplit(".", 1)[-1]
    # Links between objects relate or unrelate them.
    if change.aggregate_type == "relationship" or change.is_description:
        return ChangeAction.UNRELATED if verb == "deleted" else ChangeAction.RELATED
    if verb == "upserted":
        return ChangeAction.CREATED if change.version == 1 else ChangeAction.UPDATED
    return ChangeAction(_ACTIONS.get(verb, "UPDATED"))


def change_object_id(change: Change) -> strawberry.ID:
    type_name = _TYPE_NAMES.get(change.aggregate_type, change.aggregate_type.capitalize())
    return to_global_id(type_name, change.aggregate_id)


@strawberry.type(description="One committed change to the graph.")
class ChangeEvent:
    change: strawberry.Private[Change]

    @strawberry.field(description="Sequence number: increases with every change; resume from it.")
    def seq(self) -> int:
        return self.change.seq

    @strawberry.field(description="The event name, e.g. `entity.updated`.")
    def type(self) -> str:
        return self.change.event_type

    @strawberry.field
    def action(self) -> ChangeAction:
        return change_action(self.change)

    @strawberry.field(description="The global ID of the changed object.")
    def object_id(self) -> strawberry.ID:
        return change_object_id(self.change)

    @strawberry.field(description="The object's version after the change.")
    def version(self) -> int:
        return self.change.version

    @strawberry.field(description="When the change was committed.")
    def committed_at(self) -> datetime:
        return self.change.committed_at

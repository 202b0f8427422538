"""GraphQL types for change events."""

from __future__ import annotations

import enum

import strawberry

from app.changes import Change
from resolvers.node import to_global_id

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
        if self.change.aggregate_type == "relationship":
            deleted = self.change.event_type.endswith("deleted")
            return ChangeAction.UNRELATED if deleted else ChangeAction.RELATED
        return ChangeAction(_ACTIONS[self.change.event_type.rsplit(".", 1)[-1]])

    @strawberry.field(description="The global ID of the changed object.")
    def object_id(self) -> strawberry.ID:
        return to_global_id(self.change.aggregate_type.capitalize(), self.change.aggregate_id)

    @strawberry.field(description="The object's version after the change.")
    def version(self) -> int:
        return self.change.version

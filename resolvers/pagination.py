"""What every list and traversal of the API shares: page sizes within the limits, and why a
result is incomplete."""

from __future__ import annotations

import enum

import strawberry

from app.core.errors import BadUserInput
from resolvers.context import Info


@strawberry.enum(description="Why a traversal result is incomplete.")
class PartialReason(enum.Enum):
    DEPTH_LIMIT = "DEPTH_LIMIT"
    PER_HOP_LIMIT = "PER_HOP_LIMIT"
    NODE_LIMIT = "NODE_LIMIT"
    RESTRICTED = "RESTRICTED"


def page_size(info: Info, first: int | None, *, field: str = "first") -> int:
    settings = info.context.state.settings
    if first is None:
        return settings.default_page_size
    if not 0 <= first <= settings.max_page_size:
        raise BadUserInput(
            f"{field} must be between 0 and {settings.max_page_size} (got {first}).", field=field
        )
    return first

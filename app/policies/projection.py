"""What policies are in the graph: their events' Cypher, their replay in a rebuild, and what
verify compares (`app.projection.registry`). Every policy not deleted, drafts included, is a
node; what it governs hangs off it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import Policy
from app.policies import records
from app.projection.registry import Check, DomainProjection, Replay, each
from graph import policies as graph_policies

NOT_DELETED = Policy.deleted_at.is_(None)


async def _policies(session: AsyncSession, batch_size: int, after: Any) -> Sequence[Policy]:
    return await records.policies_in_batches(session, batch_size=batch_size, after=after)


PROJECTION = DomainProjection(
    name="policies",
    builders={
        event_type: each(graph_policies.upsert_policies)
        for event_type in (
            "policy.created",
            "policy.updated",
            "policy.activated",
            "policy.disabled",
        )
    }
    | {"policy.deleted": each(graph_policies.delete_policies)},
    replays=(
        Replay(
            "policies",
            count=select(func.count()).select_from(Policy).where(NOT_DELETED),
            fetch=_policies,
            key=lambda policy: policy.id,
            statements=lambda batch: [
                graph_policies.upsert_policies([records.policy_graph_payload(p) for p in batch])
            ],
        ),
    ),
    checks=(
        Check(
            "policies",
            graph_state=graph_policies.policy_versions,
            fetch=_policies,
            key=lambda policy: policy.id,
            expected=lambda policy: (str(policy.id), policy.version),
        ),
    ),
)

"""Per-request DataLoaders for policies: what each governs (Neo4j) and its approvals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.core.models import Approval, Policy
from app.core.scope import Role, Scope
from app.policies import approvals, governed
from app.policies import records as policies
from app.policies.governed import Governed
from app.runtime.state import AppState
from resolvers.loaders import AccessGetter, LoaderBundle


class GovernedByPolicyLoader(DataLoader[uuid.UUID, list[Governed]]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Governed]]:
        return await governed.governed_by(self._state.graph, self._scope, ids)


class ApprovalsByPolicyLoader(DataLoader[uuid.UUID, list[Approval]]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Approval]]:
        return await approvals.approvals_of(
            self._state.sessions, organization_id=self._scope.organization_id, policy_ids=ids
        )


class PolicyByIdLoader(DataLoader[uuid.UUID, Policy | None]):
    """Policies are for stewards and admins: None for anyone else, as for a miss."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Policy | None]:
        if not self._scope.may(Role.STEWARD):
            return [None] * len(ids)
        async with self._state.reads() as session:
            return await policies.policies_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class PolicyLoaders(LoaderBundle):
    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        super().__init__(state, scope, access)
        self.policy_by_id = PolicyByIdLoader(state, scope)
        self.governed_by_policy = GovernedByPolicyLoader(state, scope)
        self.approvals_by_policy = ApprovalsByPolicyLoader(state, scope)

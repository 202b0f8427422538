"""The per-request context: who is asking, the process's resources, fresh loaders."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import strawberry
from starlette.websockets import WebSocket

from app.access.control import AccessControl
from app.core.errors import NexusError, Unauthenticated, as_unavailable
from app.core.scope import Scope
from app.runtime.state import AppState
from resolvers.loaders import LoaderBundle

log = logging.getLogger(__name__)
B = TypeVar("B", bound=LoaderBundle)

# graphql-transport-ws's "Unauthorized": the credential expired or was revoked meanwhile.
CREDENTIAL_CLOSE_CODE = 4401


@dataclass
class Context:
    state: AppState
    principal: Scope | None
    request: Any = None
    response: Any = None
    # Why `principal` is None: a bad token is reported instead of a generic "log in".
    auth_error: NexusError | None = None
    connection_params: Any = None
    # Each domain's loader bundle, built on first use in this operation (`loaders`).
    _bundles: dict[type[LoaderBundle], LoaderBundle] = field(default_factory=dict, init=False)
    _access: AccessControl | None = field(default=None, init=False)
    # The organisation's policy stamp (`app.policies.cache`), read while authenticating a
    # request, or with each event a subscription receives; None: unknown, so the rules are
    # loaded for this operation alone.
    policy_stamp: str | None = None
    # A WebSocket's credential, kept to check it again while the connection lives: its
    # expiry (None for API keys) before every event, revocation at most every interval.
    credential: str | None = None
    credential_expires_at: float | None = None
    _credential_checked_at: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.authenticate_as(self.principal)

    def authenticate_as(self, principal: Scope | None) -> None:
        # Built per request (and per event for subscriptions): a loader's cache must never
        # outlive the read it serves.
        self.principal = principal
        self._access = None
        self._bundles = {}

    def hold_credential(self, token: str, expires_at: float | None) -> None:
        self.credential, self.credential_expires_at = token, expires_at
        self._credential_checked_at = time.monotonic()

    async def check_credential(self) -> None:
        """Raise UNAUTHENTICATED once the connection's credential has expired, has been
        revoked (logout, a revoked API key) or now carries another role. A backend that
        cannot answer the revocation check does not end the connection: the check runs
        again with the next event."""
        if self.credential is None:
            return
        if self.credential_expires_at is not None and time.time() >= self.credential_expires_at:
            raise Unauthenticated(
                "The access token has expired: reconnect with a fresh one, then catch up "
                "with changes(since:)."
            )
        interval = self.state.settings.ws_credential_recheck_interval
        if time.monotonic() - self._credential_checked_at < interval:
            return
        try:
            fresh = await self.state.authenticator.authenticate(self.credential)
        except Unauthenticated:
            raise
        except NexusError as exc:
            log.warning("credential recheck skipped: %s", exc.message)
            return
        except Exception as exc:
            if as_unavailable(exc) is None:
                raise
            log.warning("credential recheck skipped: a backend is unavailable")
            return
        if self.principal is not None and fresh.scope.role != self.principal.role:
            # An API key whose creator was demoted (a demoted user's tokens are revoked)
            raise Unauthenticated(
                f"This credential's role is now {fresh.scope.role.value}: reconnect."
            )
        self._credential_checked_at = time.monotonic()

    async def ensure_credential(self) -> None:
        """On a WebSocket, before each operation starts and before each event goes out:
        close the connection (4401, saying why) once its token has expired or its token or
        API key has been revoked. Nothing for a plain request, authenticated as it came."""
        try:
            await self.check_credential()
        except Unauthenticated as exc:
            log.info("closing a connection whose credential no longer holds")
            await self.close(CREDENTIAL_CLOSE_CODE, exc.message)
            raise

    async def close(self, code: int, reason: str) -> None:
        """Close the WebSocket this context belongs to, if any."""
        if isinstance(self.request, WebSocket):
            # A close reason is at most 123 bytes.
            reason = reason.encode()[:123].decode(errors="ignore")
            await self.request.close(code=code, reason=reason)

    @property
    def is_connection(self) -> bool:
        """A WebSocket's context: built once, when the connection opens, and forked for
        each of its operations (`for_operation`)."""
        return isinstance(self.request, WebSocket)

    def for_operation(self) -> Context:
        """The context of one operation on this connection: the same caller and credential,
        its own loaders and policy decisions. Operations on one socket run concurrently: with
        a shared context, an event received by one subscription would replace the loaders
        another operation is reading from, and a query would take the decisions and records
        loaded for that subscription's last event."""
        operation = dataclasses.replace(self, policy_stamp=None)
        operation._credential_checked_at = self._credential_checked_at
        return operation

    def refresh_loaders(self) -> None:
        """Fresh loaders and the policies in force now: a subscription gets them per event."""
        self.release()
        self.authenticate_as(self.principal)

    def release(self) -> None:
        """Let go of everything this operation loaded, once its result is built.

        A DataLoader refers to itself through its load function, so whatever it cached or
        batched sits in a reference cycle: without this, every record, traversal and future
        of a request (about 2,400 objects for the benchmark's page query) waited for the
        cyclic garbage collector. Cleared here, they are freed as soon as the operation ends.
        """
        for bundle in self._bundles.values():
            bundle.clear()
        self._bundles = {}
        self._access = None
        self.policy_stamp = None

    async def access(self) -> AccessControl:
        """The caller's policy decisions: the organisation's active policies, shared by the
        process's requests while its policy stamp holds (`app.policies.cache`), looked up
        once per request (`GraphQLApp.get_context` does so before the operation starts)."""
        if self._access is None:
            self._access = await self.state.policy_cache.access_control(
                self.scope, self.policy_stamp
            )
        return self._access

    @property
    def scope(self) -> Scope:
        """The caller; reading it without credentials is UNAUTHENTICATED, so a field that
        forgot its permission class still cannot act for nobody."""
        if self.principal is None:
            raise self.auth_error or Unauthenticated("Log in first: send a bearer token.")
        return self.principal

    def loaders(self, bundle: type[B]) -> B:
        """The operation's loaders of one domain: `info.context.loaders(EntityLoaders)`."""
        scope = self.scope
        found = self._bundles.get(bundle)
        if found is None:
            found = self._bundles[bundle] = bundle(self.state, scope, self.access)
        return cast(B, found)


Info = strawberry.Info[Context, None]

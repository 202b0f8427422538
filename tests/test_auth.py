"""Authentication through the real endpoints: tokens (good, forged, stolen, revoked),
refresh rotation and reuse, API keys on HTTP and WebSocket, login rate limits, the CLI."""

from __future__ import annotations

import json
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.settings import DEFAULT_JWT_SECRET
from tests.conftest import (
    ADMIN_EMAIL,
    LOGIN,
    GraphQLClient,
    MakeMember,
    Server,
    authorized,
    login,
    run_cli,
    start_server,
    stop_server,
)
from tests.test_entities import GET, create, unique
from tests.test_policies import CREATE_POLICY, activate, deny_tag, stewards

ME = "{ me { role user { id email } organization { slug } apiKeyId } }"
ENTITIES = "{ entities(first: 1) { edges { node { id } } } }"
REFRESH = """
mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }
"""
LOGOUT = "mutation { logout }"
LOGOUT_ALL = "mutation { logoutAll }"
CREATE_KEY = """
mutation($name: String!, $role: Role!) {
  createApiKey(name: $name, role: $role) { secret apiKey { id name role prefix revokedAt } }
}
"""
REVOKE_KEY = "mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }"
SET_MEMBERSHIP = (
    "mutation($id: ID!, $role: Role!) { setMembership(userId: $id, role: $role) { role } }"
)


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    value: str = body["errors"][0]["extensions"]["code"]
    return value


async def as_bearer(server: Server, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with authorized(server, token) as http:
        return await GraphQLClient(http).execute(query, variables)


def forged(claims: dict[str, Any], *, key: str = DEFAULT_JWT_SECRET, alg: str = "HS256") -> str:
    now = int(time.time())
    base = {
        "sub": str(uuid.uuid4()),
        "org": "00000000-0000-0000-0000-000000000001",
        "role": "admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        "iss": "nexus-graph",
        "aud": "nexus-graph",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short key for HS512 is the point of one case
        return jwt.encode({**base, **claims}, key, algorithm=alg)


def _hmac_token(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT rightly refuses to use a PEM key as an HMAC secret."""
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


def unsigned(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, "", algorithm="none")


async def test_requests_without_a_token_are_unauthenticated_except_login(
    anonymous: GraphQLClient, server: Server
) -> None:
    # when nobody logs in, every field but login and refreshToken is refused
    assert code(await anonymous.execute(ENTITIES)) == "UNAUTHENTICATED"
    assert code(await anonymous.execute(ME)) == "UNAUTHENTICATED"
    assert code(await anonymous.execute("mutation { logout }")) == "UNAUTHENTICATED"
    # and login itself works, introspection too, and health stays open
    assert (await anonymous.execute("{ __schema { queryType { name } } }"))["data"]
    body = await anonymous.execute(LOGIN, {"email": ADMIN_EMAIL, "password": "wrong-password!"})
    assert code(body) == "UNAUTHENTICATED"
    assert (await anonymous.http.get("/healthz")).status_code == 200


async def test_login_gives_tokens_that_identify_the_caller(
    server: Server, admin_account: tuple[str, str]
) -> None:
    tokens = await login(server, *admin_account)
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] > 0
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    assert {"exp", "iat", "aud", "iss", "jti", "sub"} <= claims.keys()
    me = (await as_bearer(server, tokens["accessToken"], ME))["data"]["me"]
    assert me["role"] == "ADMIN"
    assert me["user"]["email"] == ADMIN_EMAIL
    assert me["organization"]["slug"] == "default"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: forged({"exp": int(time.time()) - 10}), id="expired"),
        pytest.param(lambda: forged({}, key="some-other-secret-of-enough-length!"), id="tampered"),
        pytest.param(lambda: forged({}, alg="HS512"), id="wrong-algorithm"),
        pytest.param(lambda: forged({"aud": "someone-else"}), id="wrong-audience"),
        pytest.param(lambda: forged({"iss": "evil"}), id="wrong-issuer"),
        pytest.param(lambda: unsigned({"sub": str(uuid.uuid4()), "role": "admin"}), id="alg-none"),
        pytest.param(lambda: "not.a.token", id="garbage"),
        pytest.param(lambda: "nxk_deadbeef_notakey", id="unknown-api-key"),
    ],
)
async def test_bad_tokens_are_unauthenticated(server: Server, token: Any) -> None:
    body = await as_bearer(server, token(), ENTITIES)
    assert code(body) == "UNAUTHENTICATED"
    assert body["data"] is None


async def test_token_without_exp_is_refused(server: Server) -> None:
    claims = {"sub": str(uuid.uuid4()), "org": "x", "role": "admin", "jti": "j", "iat": 1}
    claims |= {"aud": "nexus-graph", "iss": "nexus-graph"}
    token = jwt.encode(claims, DEFAULT_JWT_SECRET, algorithm="HS256")
    assert code(await as_bearer(server, token, ENTITIES)) == "UNAUTHENTICATED"


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    member: MakeMember, server: Server, anonymous: GraphQLClient
) -> None:
    # given a logged-in user who refreshes once
    user = await member("viewer")
    first = user.tokens["refreshToken"]
    rotated = (await anonymous.data(REFRESH, {"token": first}))["refreshToken"]
    assert rotated["refreshToken"] != first
    assert (await as_bearer(server, rotated["accessToken"], ME))["data"]["me"]["role"] == "VIEWER"
    # when the first (already used) refresh token is presented again, as a thief would
    reused = await anonymous.execute(REFRESH, {"token": first})
    # then it is refused, and so is everything issued in that family since
    assert code(reused) == "UNAUTHENTICATED"
    later = await anonymous.execute(REFRESH, {"token": rotated["refreshToken"]})
    assert code(later) == "UNAUTHENTICATED"
    assert code(await as_bearer(server, rotated["accessToken"], ME)) == "UNAUTHENTICATED"
    assert code(await as_bearer(server, user.tokens["accessToken"], ME)) == "UNAUTHENTICATED"


async def test_logout_revokes_the_session_and_logout_all_every_session(
    member: MakeMember, server: Server, anonymous: GraphQLClient
) -> None:
    user = await member("editor")
    second = await login(server, user.email, user.password)
    # when the user logs out of the first session
    assert (await user.client.data(LOGOUT))["logout"] is True
    # then its access and refresh tokens stop working, the other session still works
    assert code(await user.client.execute(ME)) == "UNAUTHENTICATED"
    refreshed = await anonymous.execute(REFRESH, {"token": user.tokens["refreshToken"]})
    assert code(refreshed) == "UNAUTHENTICATED"
    assert (await as_bearer(server, second["accessToken"], ME))["data"]["me"]
    # when they log out everywhere, the second session ends too
    assert (await as_bearer(server, second["accessToken"], LOGOUT_ALL))["data"]["logoutAll"]
    assert code(await as_bearer(server, second["accessToken"], ME)) == "UNAUTHENTICATED"
    refreshed = await anonymous.execute(REFRESH, {"token": second["refreshToken"]})
    assert code(refreshed) == "UNAUTHENTICATED"
    # and a new login works again
    again = await login(server, user.email, user.password)
    assert (await as_bearer(server, again["accessToken"], ME))["data"]["me"]


async def test_api_key_works_on_http_and_websocket_until_revoked(
    client: GraphQLClient, server: Server, db: AsyncEngine
) -> None:
    # given an API key with the editor role
    created = (await client.data(CREATE_KEY, {"name": "pipeline", "role": "EDITOR"}))[
        "createApiKey"
    ]
    secret, key = created["secret"], created["apiKey"]
    assert key["role"] == "EDITOR"
    # then only a hash of its secret is stored
    async with db.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT secret_hash FROM api_keys WHERE prefix = :p"), {"p": key["prefix"]}
            )
        ).scalar_one()
    assert secret not in stored
    # when it is used as a bearer token over HTTP and over a WebSocket
    me = (await as_bearer(server, secret, ME))["data"]["me"]
    assert me["role"] == "EDITOR"
    assert me["user"] is None
    assert me["apiKeyId"] == key["id"]
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": secret}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
    # when it is revoked, it stops working at once
    await client.data(REVOKE_KEY, {"id": key["id"]})
    assert code(await as_bearer(server, secret, ME)) == "UNAUTHENTICATED"


async def test_an_api_key_answers_for_the_user_who_made_it(
    client: GraphQLClient, server: Server, member: MakeMember
) -> None:
    # given an editor key and an admin key made by an admin
    maker = await member("admin")
    keys = {
        role: (await maker.client.data(CREATE_KEY, {"name": "etl", "role": role}))["createApiKey"][
            "secret"
        ]
        for role in ("EDITOR", "ADMIN")
    }
    # then a key cannot make more keys, whatever its role
    minted = await as_bearer(server, keys["ADMIN"], CREATE_KEY, name="more", role="VIEWER")
    assert code(minted) == "FORBIDDEN"
    write = 'mutation($n: String!) { createEntity(input: {kind: "job", name: $n}) { seq } }'
    assert "errors" not in await as_bearer(server, keys["EDITOR"], write, n=unique("by-key"))
    # when the admin who made them is made a viewer
    await client.data(SET_MEMBERSHIP, {"id": maker.user_id, "role": "VIEWER"})
    # then both keys are viewers from the next request on, and writes are refused
    for secret in keys.values():
        assert (await as_bearer(server, secret, ME))["data"]["me"]["role"] == "VIEWER"
    assert code(await as_bearer(server, keys["EDITOR"], write, n=unique("by-key"))) == "FORBIDDEN"
    # and once an editor again, a key is never raised above the role it was given
    await client.data(SET_MEMBERSHIP, {"id": maker.user_id, "role": "EDITOR"})
    roles = [(await as_bearer(server, s, ME))["data"]["me"]["role"] for s in keys.values()]
    assert roles == ["EDITOR", "EDITOR"]


async def test_policies_naming_a_user_apply_to_their_keys(
    client: GraphQLClient, server: Server, member: MakeMember, db: AsyncEngine
) -> None:
    # given an admin's key, and an entity a policy hides from that admin by name
    maker = await member("admin")
    made = await maker.client.data(CREATE_KEY, {"name": "etl", "role": "EDITOR"})
    secret = made["createApiKey"]["secret"]
    tag = unique("not-for-them")
    hidden = await create(client, name=unique("hidden"), tags=[tag])
    author, approver = await stewards(member)
    draft = deny_tag(tag, subjects={"userIds": [maker.user_id]})
    policy = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]
    await activate(author, approver, policy["policy"]["id"])
    # then the key cannot read it either, as its maker cannot
    assert (await maker.client.execute(GET, {"id": hidden["id"]}))["data"]["entity"] is None
    by_key = await as_bearer(server, secret, GET, id=hidden["id"])
    assert by_key["data"]["entity"] is None
    assert code(by_key) == "NOT_FOUND"
    # and once its maker is disabled, the key stops working
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE users SET disabled_at = now() WHERE email = :e"), {"e": maker.email}
        )
    assert code(await as_bearer(server, secret, ME)) == "UNAUTHENTICATED"


@pytest.mark.parametrize("payload", [{}, {"Authorization": "Bearer nope"}, {"token": "x.y.z"}])
async def test_websocket_without_a_valid_token_is_refused(
    server: Server, payload: dict[str, str]
) -> None:
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_failed_logins_are_rate_limited_per_user_and_audited(
    member: MakeMember, anonymous: GraphQLClient, client: GraphQLClient
) -> None:
    user = await member("viewer")
    for _ in range(5):
        body = await anonymous.execute(LOGIN, {"email": user.email, "password": "wrong-password"})
        assert code(body) == "UNAUTHENTICATED"
    # then even the right password is refused for a while
    body = await anonymous.execute(LOGIN, {"email": user.email, "password": user.password})
    assert code(body) == "RATE_LIMITED"
    # and each refused attempt is in the user's organisation's audit log
    audit = await client.data(
        "query($f: AuditFilterInput) { auditLog(filter: $f) { edges { node { outcome } } } }",
        {"f": {"targetId": user.user_id, "actions": ["session.login"]}},
    )
    outcomes = [e["node"]["outcome"] for e in audit["auditLog"]["edges"]]
    assert outcomes.count("denied") == 5


async def test_role_change_applies_at_next_refresh(
    member: MakeMember, client: GraphQLClient, anonymous: GraphQLClient, server: Server
) -> None:
    user = await member("viewer")
    # when an admin makes the viewer an editor
    changed = await client.data(SET_MEMBERSHIP, {"id": user.user_id, "role": "EDITOR"})
    assert changed["setMembership"]["role"] == "EDITOR"
    # then the old access token stops working and a refresh carries the new role
    assert code(await user.client.execute(ME)) == "UNAUTHENTICATED"
    fresh = (await anonymous.data(REFRESH, {"token": user.tokens["refreshToken"]}))["refreshToken"]
    assert (await as_bearer(server, fresh["accessToken"], ME))["data"]["me"]["role"] == "EDITOR"


def test_create_admin_bootstraps_an_organisation(server: Server) -> None:
    slug = f"org{uuid.uuid4().hex[:6]}"
    email = f"boss@{slug}.example"
    args = ["--email", email, "--password", "long-enough-password", "--organization", slug]
    first = run_cli("create-admin", *args)
    assert f"admin of organisation '{slug}'" in first.stderr
    # and running it again is harmless
    again = run_cli("create-admin", *args)
    assert "already existed" in again.stderr
    assert (
        "password"
        not in run_cli("create-admin", "--email", "x", "--password", "p", check=False).stdout
    )


def test_production_refuses_to_start_with_the_default_secret() -> None:
    import os
    import subprocess

    from tests.conftest import NEXUS

    result = subprocess.run(
        [str(NEXUS), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, "NEXUS_ENV": "production"},
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "NEXUS_JWT_SECRET" in result.stdout + result.stderr


async def test_rs256_tokens_of_an_identity_provider(
    tmp_path: Path, admin_token: str, admin_account: tuple[str, str]
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # given a server that verifies RS256 tokens with an identity provider's public key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "idp.pem").write_bytes(public)
    server = start_server(
        tmp_path / "rs256.log",
        NEXUS_JWT_ALGORITHM="RS256",
        NEXUS_JWT_PUBLIC_KEY_FILE=str(tmp_path / "idp.pem"),
    )
    try:
        admin_id = jwt.decode(admin_token, options={"verify_signature": False})["sub"]
        now = int(time.time())
        claims = {
            "sub": admin_id,
            "org": "00000000-0000-0000-0000-000000000001",
            "role": "steward",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 300,
            "iss": "nexus-graph",
            "aud": "nexus-graph",
        }
        # then a token the provider signed is accepted
        good = jwt.encode(claims, key, algorithm="RS256")
        assert (await as_bearer(server, good, ME))["data"]["me"]["role"] == "STEWARD"
        # and HS256 tokens are refused, even one "signed" with the public key itself
        assert code(await as_bearer(server, admin_token, ME)) == "UNAUTHENTICATED"
        confused = _hmac_token(claims, public)
        assert code(await as_bearer(server, confused, ME)) == "UNAUTHENTICATED"
        # and this service does not issue tokens it cannot sign
        async with httpx.AsyncClient(base_url=server.url) as http:
            body = await GraphQLClient(http).execute(
                LOGIN, {"email": admin_account[0], "password": admin_account[1]}
            )
        assert code(body) == "UNAVAILABLE"
    finally:
        stop_server(server)

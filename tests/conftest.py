"""Fixtures: real Postgres, Neo4j and Redis (started by `make test` on test ports), a fresh
schema per run, and a real `nexus serve` process the tests talk to over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import neo4j
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
NEXUS = Path(sys.executable).with_name("nexus")

# Same defaults as the Makefile's test target, so `pytest` alone also finds the test services.
TEST_ENV = {
    "NEXUS_ENV": "test",
    "NEXUS_DATA_DIR": str(ROOT / ".nexus" / "test"),
    "NEXUS_PG_PORT": "55432",
    "NEXUS_REDIS_PORT": "56379",
    "NEXUS_NEO4J_BOLT_PORT": "57687",
    "NEXUS_DATABASE_URL": "postgresql+asyncpg://nexus:nexus@127.0.0.1:55432/nexus",
    "NEXUS_NEO4J_URI": "bolt://127.0.0.1:57687",
    "NEXUS_REDIS_URL": "redis://127.0.0.1:56379/0",
    # One login serves the whole session; keep it valid however long the suite runs.
    "NEXUS_ACCESS_TOKEN_TTL": "7200",
}
for _key, _value in TEST_ENV.items():
    os.environ.setdefault(_key, _value)

ADMIN_EMAIL = "admin@nexus-graph.example"
ADMIN_PASSWORD = "admin-password-for-tests"
MEMBER_PASSWORD = "member-password-for-tests"

LOGIN = """
mutation Login($email: String!, $password: String!, $organization: String) {
  login(email: $email, password: $password, organization: $organization) {
    accessToken refreshToken tokenType expiresIn role user { id email }
  }
}
"""
CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id email role } }
"""

NEO4J_AUTH = (
    os.environ.get("NEXUS_NEO4J_USER", "neo4j"),
    os.environ.get("NEXUS_NEO4J_PASSWORD", "nexus-dev-password"),
)


def run_cli(
    *args: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(NEXUS), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nexus {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def services(action: str, *names: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), action, *names],
        check=True,
        timeout=300,
        env=os.environ.copy(),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def fresh_databases() -> None:
    """Empty both databases, then migrate them with the real CLI."""

    async def reset() -> None:
        engine = create_async_engine(os.environ["NEXUS_DATABASE_URL"])
        try:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()
        driver = neo4j.AsyncGraphDatabase.driver(os.environ["NEXUS_NEO4J_URI"], auth=NEO4J_AUTH)
        try:
            await driver.execute_query("MATCH (n) DETACH DELETE n", database_="neo4j")
        finally:
            await driver.close()

        # Login attempt counters and revocations belong to the databases they refer to.
        redis = aioredis.from_url(os.environ["NEXUS_REDIS_URL"])
        try:
            await redis.flushdb()
        finally:
            await redis.aclose()

    asyncio.run(reset())
    run_cli("migrate")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: BinaryIO

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(log_path: Path, **env: str) -> Server:
    port = _free_port()
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [str(NEXUS), "serve", "--port", str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_file.close()
            raise AssertionError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url=url, process=process, log_path=log_path, log_file=log_file)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    log_file.close()
    raise AssertionError(f"server did not start:\n{log_path.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    server.log_file.close()


@pytest.fixture(scope="session")
def server(fresh_databases: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server") / "server.log")
    yield srv
    stop_server(srv)


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def uncached(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute past the result cache (`Cache-Control: no-store`): the response's round
        trips are then those of running the operation alone."""
        return await self.execute(query, variables, **{"cache-control": "no-store"})

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute and insist on success."""
        body = await self.execute(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


async def login(
    server: Server, email: str, password: str, organization: str | None = None
) -> dict[str, Any]:
    """The `login` mutation's payload (tokens, user, role)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        body = await GraphQLClient(http).data(
            LOGIN, {"email": email, "password": password, "organization": organization}
        )
    payload: dict[str, Any] = body["login"]
    return payload


@pytest.fixture(scope="session")
def admin_account(fresh_databases: None) -> tuple[str, str]:
    """The default organisation's admin, bootstrapped by the real CLI."""
    run_cli("create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    return ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture(scope="session")
async def admin_token(server: Server, admin_account: tuple[str, str]) -> str:
    token: str = (await login(server, *admin_account))["accessToken"]
    return token


def authorized(server: Server, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
async def client(server: Server, admin_token: str) -> AsyncIterator[GraphQLClient]:
    """The default organisation's admin; raw `client.http` requests carry the token too."""
    async with authorized(server, admin_token) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def anonymous(server: Server) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        yield GraphQLClient(http)


@dataclass
class Member:
    client: GraphQLClient
    user_id: str
    email: str
    password: str
    organization: str
    tokens: dict[str, Any]


MakeMember = Callable[..., Awaitable[Member]]


@pytest.fixture
async def member(server: Server, admin_token: str) -> AsyncIterator[MakeMember]:
    """`await member("viewer")`: a new user with that role, logged in; pass
    `organization="other"` for a user of another organisation (created when missing)."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: str = "viewer", organization: str = "default") -> Member:
        token = admin_token
        if organization != "default":
            org_admin = f"admin@{organization}.example"
            run_cli(
                "create-admin",
                "--email",
                org_admin,
                "--password",
                ADMIN_PASSWORD,
                "--organization",
                organization,
            )
            token = (await login(server, org_admin, ADMIN_PASSWORD, organization))["accessToken"]
        email = f"{role}-{uuid.uuid4().hex[:8]}@{organization}.example"
        async with authorized(server, token) as http:
            created = await GraphQLClient(http).data(
                CREATE_USER,
                {
                    "input": {
                        "email": email,
                        "displayName": f"{role} of {organization}",
                        "password": MEMBER_PASSWORD,
                        "role": role.upper(),
                    }
                },
            )
        tokens = await login(server, email, MEMBER_PASSWORD, organization)
        http = authorized(server, tokens["accessToken"])
        opened.append(http)
        return Member(
            client=GraphQLClient(http),
            user_id=created["createUser"]["id"],
            email=email,
            password=MEMBER_PASSWORD,
            organization=organization,
            tokens=tokens,
        )

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[AsyncEngine]:
    # Pre-ping: a test restarts Postgres, which kills pooled connections.
    engine = create_async_engine(os.environ["NEXUS_DATABASE_URL"], pool_pre_ping=True)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def graph_db() -> AsyncIterator[neo4j.AsyncDriver]:
    driver = neo4j.AsyncGraphDatabase.driver(os.environ["NEXUS_NEO4J_URI"], auth=NEO4J_AUTH)
    yield driver
    await driver.close()


async def cypher(driver: neo4j.AsyncDriver, query: str, **params: Any) -> list[dict[str, Any]]:
    result = await driver.execute_query(query, params, database_="neo4j")
    return [record.data() for record in result.records]


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for table in ("entities", "relationships", "outbox", "audit_log", "entity_versions"):
            counts[table] = int(
                (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            )
    return counts

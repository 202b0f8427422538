"""The scale benchmarks: lineage traversals against the raw database, the frontend page query
and its round trips, concurrent clients, simulated users, and the same queries through the
Neo4j GraphQL Library over the same data.

    .venv/bin/python -m bench.scale --url http://127.0.0.1:8000 \
        --neo4j-graphql http://127.0.0.1:4000/graphql --server-pid 1234 --json out.json

Load the data first (`bench.generate`, then `nexus graph rebuild`); `scripts/bench.sh` runs
the whole sequence. Latencies are measured by the client, on the same machine, over HTTP/1.1
keep-alive: they are upper bounds of the server time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import neo4j

from app.core.settings import Settings
from bench.common import login
from bench.generate import BENCH_PASSWORD, bench_email
from bench.load import percentile, watch_memory
from graph.lineage import (
    LineageDirection,
    LineageKey,
    Traversal,
    traversal_statement,
    walk_levels,
)
from resolvers.node import to_global_id

LINEAGE = """
query($id: ID!, $depth: Int!, $limit: Int!) {
  dataset(id: $id) {
    %s(depth: $depth, perHopLimit: $limit, first: 100) {
      totalCount partial
      edges { node { distance dataset { id name } } }
    }
  }
}
"""
LOOKUP = "query($id: ID!) { dataset(id: $id) { id namespace name owners tags } }"
PAGE = """
query($ns: String!) {
  datasets(namespace: $ns, first: 20) {
    edges { node {
      id name namespace owners tags
      fields { name type }
      producers { name inputs { name namespace } }
      upstream(depth: 1) { edges { node { dataset { name namespace } } } }
      governedBy { name effect }
    } }
  }
}
"""
# The page query's depth: datasets -> producers -> inputs, and datasets -> upstream -> dataset.
PAGE_LEVELS = 3


@dataclass
class Sample:
    org: uuid.UUID
    datasets: list[uuid.UUID]
    namespaces: list[str]


@dataclass
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        ordered = list(values)
        return cls(
            len(ordered),
            percentile(ordered, 0.5),
            percentile(ordered, 0.95),
            percentile(ordered, 0.99),
            statistics.fmean(ordered),
        )

    def line(self, label: str) -> str:
        return (
            f"  {label:<44} n={self.count:>5}  p50 {self.p50:7.1f} ms  p95 {self.p95:7.1f} ms"
            f"  p99 {self.p99:7.1f} ms"
        )


async def sample(settings: Settings, slug: str, size: int, rng: random.Random) -> Sample:
    dsn = settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        org = await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", slug)
        if org is None:
            raise SystemExit(f"no organisation {slug}: run python -m bench.generate first")
        ids = [
            row["id"]
            for row in await conn.fetch(
                "SELECT id FROM datasets WHERE organization_id = $1 AND deleted_at IS NULL", org
            )
        ]
        namespaces = [
            row["namespace"]
            for row in await conn.fetch(
                "SELECT namespace FROM datasets WHERE organization_id = $1 "
                "GROUP BY namespace HAVING count(*) >= 20 ORDER BY namespace",
                org,
            )
        ]
    finally:
        await conn.close()
    return Sample(org, rng.sample(ids, min(size, len(ids))), namespaces)


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"query failed ({response.status_code}): {body.get('errors')}")
    return body


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return (time.perf_counter() - started) * 1000, result


# --- lineage: the service against the same Cypher through the driver ---------------------


async def raw_traversal(
    driver: neo4j.AsyncDriver, org: str, root: str, direction: str, depth: int, limit: int
) -> int:
    """The service's traversal without the service: its one Cypher statement through the
    driver, and the same replay of the levels (visited set, caps); no names, no access
    checks, no GraphQL."""
    upper: LineageDirection = "DOWNSTREAM" if direction == "downstream" else "UPSTREAM"
    records, _, _ = await driver.execute_query(
        traversal_statement("dataset", upper, depth),
        org=org,
        roots=[root],
        limit=limit,
        max_nodes=1_000,
        routing_=neo4j.RoutingControl.READ,
    )
    result = Traversal()
    key = LineageKey(root=root, direction=upper, depth=depth, per_hop_limit=limit)
    walk_levels(records[0]["levels"] if records else [], upper, limit, key, result)
    return len(result.nodes)


async def lineage_bench(
    http: httpx.AsyncClient,
    driver: neo4j.AsyncDriver,
    picked: Sample,
    depth: int,
    limit: int,
) -> dict[str, Any]:
    service: list[float] = []
    raw: list[float] = []
    sizes: list[int] = []
    org = str(picked.org)
    for index, dataset in enumerate(picked.datasets):
        direction = "downstream" if index % 2 == 0 else "upstream"
        variables = {"id": to_global_id("Dataset", dataset), "depth": depth, "limit": limit}

        async def service_side(variables: dict[str, Any] = variables, way: str = direction) -> Any:
            return await post(http, LINEAGE % way, variables)

        async def raw_side(root: str = str(dataset), way: str = direction) -> int:
            return await raw_traversal(driver, org, root, way, depth, limit)

        # alternate which side goes first, so neither always finds the caches warm
        if index % 4 < 2:
            ms_raw, found = await timed(raw_side)
            ms_service, body = await timed(service_side)
        else:
            ms_service, body = await timed(service_side)
            ms_raw, found = await timed(raw_side)
        total = body["data"]["dataset"][direction]["totalCount"]
        if total != found:
            raise SystemExit(f"service found {total} nodes, raw Cypher {found}, for {dataset}")
        service.append(ms_service)
        raw.append(ms_raw)
        sizes.append(total)
    s, r = Stats.of(service), Stats.of(raw)
    print(f"lineage depth {depth}, per-hop cap {limit}, {len(service)} random datasets")
    print(s.line("service (GraphQL over HTTP)"))
    print(r.line("raw Cypher through the Python driver"))
    print(
        f"  ratio service/raw: p50 {s.p50 / r.p50:.2f}, p95 {s.p95 / r.p95:.2f}; nodes per "
        f"traversal: mean {statistics.fmean(sizes):.0f}, max {max(sizes)}"
    )
    return {"service": vars(s), "raw": vars(r), "mean_nodes": statistics.fmean(sizes)}


# --- the page query ----------------------------------------------------------------------


async def page_bench(
    http: httpx.AsyncClient, picked: Sample, rng: random.Random, runs: int
) -> dict[str, Any]:
    latencies: list[float] = []
    trips: list[dict[str, int]] = []
    for _ in range(runs):
        ms, body = await timed(lambda: post(http, PAGE, {"ns": rng.choice(picked.namespaces)}))
        latencies.append(ms)
        if "roundTrips" in body.get("extensions", {}):
            trips.append(body["extensions"]["roundTrips"])
    stats = Stats.of(latencies)
    print(f"page query (20 datasets, depth {PAGE_LEVELS}), {runs} runs, one client")
    print(stats.line("service"))
    result: dict[str, Any] = {"latency": vars(stats)}
    if trips:
        postgres = max(t.get("postgres", 0) for t in trips)
        graph = max(t.get("neo4j", 0) for t in trips)
        print(f"  round trips per request (max over runs): postgres {postgres}, neo4j {graph}")
        result["round_trips"] = {"postgres": postgres, "neo4j": graph}
    return result


async def one_client(
    url: str, headers: dict[str, str], runs: int, makers: dict[str, Maker]
) -> dict[str, Stats]:
    """Each query `runs` times in a row from one client: latency without queueing."""
    out: dict[str, Stats] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as http:
        for name, make in makers.items():
            for _ in range(5):  # warm-up, not measured
                await post(http, *make())
            latencies = []
            for _ in range(runs):
                query, variables = make()
                ms, _ = await timed(lambda q=query, v=variables: post(http, q, v))
                latencies.append(ms)
            out[name] = Stats.of(latencies)
    return out


# --- concurrency -------------------------------------------------------------------------


Maker = Callable[[], tuple[str, dict[str, Any]]]


async def node_load(
    url: str,
    headers: dict[str, str],
    requests: dict[str, list[str]],
    *,
    clients: int = 0,
    users: int = 0,
    think: float = 3.0,
    duration: float,
    warmup: float = 0.0,
) -> dict[str, Any]:
    """Run bench/load.mjs (closed-loop clients, or users with think time) and return its
    figures: throughput, errors, and p50/p95/p99/mean per scenario; with a warm-up, the
    same again for the requests started after it ("steady")."""
    spec = {
        "url": f"{url}/graphql",
        "headers": headers,
        "mode": "users" if users else "closed",
        "clients": clients,
        "users": users,
        "think": think,
        "duration": duration,
        "warmup": warmup,
        "timeout": 30,
        "requests": requests,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(spec, file)
        file.flush()
        process = await asyncio.create_subprocess_exec(
            "node",
            str(Path(__file__).parent / "load.mjs"),
            file.name,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"bench/load.mjs failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


def bodies(maker: Maker, count: int) -> list[str]:
    return [json.dumps({"query": q, "variables": v}) for q, v in (maker() for _ in range(count))]


def report(label: str, result: dict[str, Any]) -> dict[str, Any]:
    print(f"{label}: {result['throughput']:,.1f} requests/s, {result['errors']} errors")
    for name, stats in sorted(result["scenarios"].items()):
        if stats["count"]:
            print(
                f"  {name:<44} n={stats['count']:>5}  p50 {stats['p50']:7.1f} ms  "
                f"p95 {stats['p95']:7.1f} ms  p99 {stats['p99']:7.1f} ms"
            )
            steady = stats.get("steady")
            if steady and steady["count"]:
                print(
                    f"    after the warm-up: n={steady['count']:>5}, {steady['errors']} errors, "
                    f"p50 {steady['p50']:7.1f} ms  p95 {steady['p95']:7.1f} ms  "
                    f"p99 {steady['p99']:7.1f} ms"
                )
            if stats.get("cache"):
                shown = ", ".join(f"{k} {v}" for k, v in sorted(stats["cache"].items()))
                print(f"    result cache: {shown}")
    for sample in result.get("errorSamples", []):
        print(f"  error: {sample}")
    return result


# --- the Neo4j GraphQL Library -----------------------------------------------------------


def library_queries() -> dict[str, str]:
    path = Path(__file__).parent / "neo4j_graphql" / "queries.json"
    queries: dict[str, str] = json.loads(path.read_text())
    return queries


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--org", default="bench-a")
    parser.add_argument("--neo4j-graphql", help="URL of the @neo4j/graphql server, to compare")
    parser.add_argument("--samples", type=int, default=200, help="lineage traversals")
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--per-hop", type=int, default=10)
    parser.add_argument("--page-runs", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load run")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--user-duration", type=float, default=60.0)
    parser.add_argument(
        "--user-warmup",
        type=float,
        default=15.0,
        help="seconds after which the users' requests are also reported apart (steady state)",
    )
    parser.add_argument(
        "--users-without-cache",
        action="store_true",
        help="send the simulated users' requests with Cache-Control: no-store",
    )
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument(
        "--skip", action="append", default=[], help="lineage, page, compare, load, users"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    settings = Settings()
    picked = await sample(settings, args.org, args.samples, rng)
    token = login(args.url, bench_email(args.org), BENCH_PASSWORD)
    # Every scenario but the simulated users runs past the result cache (no-store): the
    # traversal against raw Cypher and the comparison with @neo4j/graphql measure running
    # the queries. The users get the cache as deployed unless --users-without-cache.
    deployed = {"Authorization": f"Bearer {token}"}
    headers = {**deployed, "Cache-Control": "no-store"}
    figures: dict[str, Any] = {}
    peak: dict[int, float] = {}
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(args.server_pid, peak, stop))

    async with httpx.AsyncClient(base_url=args.url, timeout=60, headers=headers) as http:
        if "lineage" not in args.skip:
            driver = neo4j.AsyncGraphDatabase.driver(
                settings.neo4j_uri,
                auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
            )
            try:
                figures["lineage"] = await lineage_bench(
                    http, driver, picked, args.depth, args.per_hop
                )
            finally:
                await driver.close()
        if "page" not in args.skip:
            figures["page"] = await page_bench(http, picked, rng, args.page_runs)

    ours: dict[str, Maker] = {
        "lookup": lambda: (LOOKUP, {"id": to_global_id("Dataset", rng.choice(picked.datasets))}),
        "page": lambda: (PAGE, {"ns": rng.choice(picked.namespaces)}),
    }
    theirs: dict[str, Maker] = {}
    if args.neo4j_graphql:
        queries = library_queries()
        theirs = {
            "lookup": lambda: (queries["lookup"], {"id": str(rng.choice(picked.datasets))}),
            "page": lambda: (
                queries["page"],
                {"org": str(picked.org), "namespace": rng.choice(picked.namespaces)},
            ),
        }
    if theirs and "compare" not in args.skip:
        url = args.neo4j_graphql.removesuffix("/graphql")
        mine_alone = await one_client(args.url, headers, args.page_runs, ours)
        theirs_alone = await one_client(url, {}, args.page_runs, theirs)
        print(f"one client, {args.page_runs} requests each, in a row")
        figures["one_client"] = {}
        for name in ours:
            print(mine_alone[name].line(f"{name}, this service"))
            print(theirs_alone[name].line(f"{name}, @neo4j/graphql"))
            print(
                f"  {name}: ours/theirs p50 {mine_alone[name].p50 / theirs_alone[name].p50:.2f},"
                f" p95 {mine_alone[name].p95 / theirs_alone[name].p95:.2f}"
            )
            figures["one_client"][name] = {
                "ours": vars(mine_alone[name]),
                "theirs": vars(theirs_alone[name]),
            }
    if "load" not in args.skip:
        for name in ("lookup", "page"):
            mine = report(
                f"{name}, {args.clients} closed-loop clients, {args.duration:.0f}s, this service",
                await node_load(
                    args.url,
                    headers,
                    {name: bodies(ours[name], 500)},
                    clients=args.clients,
                    duration=args.duration,
                ),
            )
            figures[f"{name}_{args.clients}_clients"] = mine
            if theirs:
                other = report(
                    f"{name}, {args.clients} closed-loop clients, {args.duration:.0f}s, "
                    "@neo4j/graphql",
                    await node_load(
                        args.neo4j_graphql.removesuffix("/graphql"),
                        {},
                        {name: bodies(theirs[name], 500)},
                        clients=args.clients,
                        duration=args.duration,
                    ),
                )
                figures[f"{name}_{args.clients}_clients_neo4j_graphql"] = other
                a, b = mine["scenarios"][name], other["scenarios"][name]
                print(
                    f"  {name}: ours/theirs throughput "
                    f"{mine['throughput'] / other['throughput']:.2f}, "
                    f"p50 {a['p50'] / b['p50']:.2f}, p95 {a['p95'] / b['p95']:.2f}"
                )
    if "users" not in args.skip:
        lineage: Maker = lambda: (  # noqa: E731 - one more scenario beside the two above
            LINEAGE % "downstream",
            {"id": to_global_id("Dataset", rng.choice(picked.datasets)), "depth": 3, "limit": 10},
        )
        scenarios = ours | {"lineage3": lineage}
        cached = "without the result cache" if args.users_without_cache else "result cache on"
        figures["users"] = report(
            f"{args.users} users, think time {args.think:.0f}s, {args.user_duration:.0f}s, "
            f"mixed reads, {cached}",
            await node_load(
                args.url,
                headers if args.users_without_cache else deployed,
                {name: bodies(make, 500) for name, make in scenarios.items()},
                users=args.users,
                think=args.think,
                duration=args.user_duration,
                warmup=args.user_warmup,
            ),
        )
    stop.set()
    await watcher
    for pid, mb in sorted(peak.items()):
        print(f"server pid {pid}: peak RSS {mb:.0f} MB")
    figures["peak_rss_mb"] = {str(pid): mb for pid, mb in peak.items()}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    asyncio.run(main())

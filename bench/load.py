"""Load against a running server: concurrent clients or simulated users, mixed read queries.

    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 --clients 50 --duration 30 \
        --scenario lookup
    .venv/bin/python -m bench.load --users 1000 --think 3 --duration 60 --scenario mixed

Reports throughput, p50/p95/p99 latency per scenario, error counts, and the peak resident
memory of the server processes it was pointed at (`--server-pid`, repeatable).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import DEV_EMAIL, DEV_PASSWORD, login

Query = tuple[str, dict[str, object]]

LOOKUP = "query($id: ID!) { entity(id: $id) { id name kind tags version } }"
PAGE = """
query($kind: String!) {
  entities(filter: {kind: $kind}, first: 20) {
    edges { node {
      id name description tags
      relationships(first: 10) { totalCount edges { node { type target { id name kind } } } }
    } }
  }
}
"""
NEIGHBORS = """
query($id: ID!) {
  entity(id: $id) {
    neighbors(depth: 2, perHopLimit: 10) { partial nodes { distance degree entity { name } } }
  }
}
"""


@dataclass
class Sample:
    ids: list[str]
    kinds: list[str]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def sample_ids(http: httpx.AsyncClient, count: int) -> Sample:
    ids: list[str] = []
    kinds: set[str] = set()
    after = None
    while len(ids) < count:
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": "query($after: String) { entities(first: 100, after: $after) "
                    "{ edges { node { id kind } } pageInfo { hasNextPage endCursor } } }",
                    "variables": {"after": after},
                },
            )
        ).json()
        page = body["data"]["entities"]
        ids += [edge["node"]["id"] for edge in page["edges"]]
        kinds |= {edge["node"]["kind"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    if not ids:
        raise SystemExit("no entities to query: load data first (nexus seed)")
    return Sample(ids=ids, kinds=sorted(kinds))


def scenarios(sample: Sample, rng: random.Random) -> dict[str, Callable[[], Query]]:
    return {
        "lookup": lambda: (LOOKUP, {"id": rng.choice(sample.ids)}),
        "page": lambda: (PAGE, {"kind": rng.choice(sample.kinds)}),
        "neighbors": lambda: (NEIGHBORS, {"id": rng.choice(sample.ids)}),
    }


async def one_request(http: httpx.AsyncClient, name: str, query: Query, results: Results) -> None:
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json={"query": query[0], "variables": query[1]})
        body = response.json()
        ok = response.status_code == 200 and not body.get("errors")
    except (httpx.HTTPError, ValueError):
        ok = False
    elapsed = (time.perf_counter() - started) * 1000
    if ok:
        results.latencies[name].append(elapsed)
    else:
        results.errors[name] += 1


async def run_for(duration: float, worker: Callable[[], Awaitable[None]]) -> None:
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        await worker()


def peak_rss_mb(pids: list[int], peak: dict[int, float]) -> None:
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                peak[pid] = max(peak.get(pid, 0.0), int(line.split()[1]) / 1024)


async def watch_memory(pids: list[int], peak: dict[int, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak_rss_mb(pids, peak)
        await asyncio.sleep(0.25)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=0, help="closed-loop clients, no pause")
    parser.add_argument("--users", type=int, default=0, help="simulated users with think time")
    parser.add_argument("--think", type=float, default=3.0, help="mean think time, seconds")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--scenario", default="mixed", help="lookup, page, neighbors or mixed")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--email", default=DEV_EMAIL)
    parser.add_argument("--password", default=DEV_PASSWORD)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    limits = httpx.Limits(max_connections=max(args.clients, args.users, 10))
    headers = {"Authorization": f"Bearer {login(args.url, args.email, args.password)}"}
    async with httpx.AsyncClient(
        base_url=args.url, timeout=30, limits=limits, headers=headers
    ) as http:
        sample = await sample_ids(http, 2_000)
        makers = scenarios(sample, rng)
        names = list(makers) if args.scenario == "mixed" else [args.scenario]
        results = Results()

        async def closed_loop() -> None:
            name = rng.choice(names)
            await one_request(http, name, makers[name](), results)

        async def user() -> None:
            await asyncio.sleep(rng.expovariate(1 / args.think))
            await closed_loop()

        peak: dict[int, float] = {}
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_memory(args.server_pid, peak, stop))
        started = time.perf_counter()
        if args.clients:
            await asyncio.gather(
                *(run_for(args.duration, closed_loop) for _ in range(args.clients))
            )
        if args.users:
            # Users arrive spread over the first think time, as they would.
            async def staggered() -> None:
                await asyncio.sleep(rng.uniform(0, args.think))
                await run_for(args.duration, user)

            await asyncio.gather(*(staggered() for _ in range(args.users)))
        elapsed = time.perf_counter() - started
        stop.set()
        await watcher

    concurrency = f"{args.clients} clients" if args.clients else f"{args.users} users"
    print(f"{concurrency}, {args.duration:.0f}s, scenario {args.scenario}, against {args.url}")
    total = sum(len(v) for v in results.latencies.values())
    print(f"throughput: {total / elapsed:,.1f} requests/s; errors: {dict(results.errors) or 0}")
    for name in names:
        values = results.latencies.get(name, [])
        if values:
            print(
                f"  {name:<10} n={len(values):>6}  p50 {percentile(values, 0.5):7.1f} ms  "
                f"p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms"
                f"  mean {statistics.fmean(values):7.1f} ms"
            )
    for pid, mb in sorted(peak.items()):
        print(f"  server pid {pid}: peak RSS {mb:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())

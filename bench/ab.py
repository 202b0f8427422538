"""Compare two running servers on the same data, alternating runs so that both see the same
machine: this machine's speed drifts during the day, so two `make bench` runs hours apart
cannot show a change of 10 or 20%.

    # serve the old code on 8201 and the new on 8202 (one worker each), then:
    python -m bench.ab --a http://127.0.0.1:8201 --b http://127.0.0.1:8202 \\
        --scenario lookup --clients 50 --rounds 3 --duration 10

Scenarios are those of bench/scale.py: lookup, page, lineage3 and lineage5 (downstream at
depth 3 or 5). bench/load.mjs sends the same prepared requests to both servers. Prints
requests/s and p50/p95 per run, and the mean of B over A.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from typing import Any

from app.core.settings import Settings
from bench.common import login
from bench.generate import BENCH_PASSWORD, bench_email
from bench.scale import LINEAGE, LOOKUP, PAGE, Maker, bodies, node_load, sample
from resolvers.node import to_global_id


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--a", required=True, help="URL of the first server (the baseline)")
    parser.add_argument("--b", required=True, help="URL of the second server")
    parser.add_argument("--org", default="bench-a")
    parser.add_argument(
        "--scenario", action="append", default=[], help="lookup, page, lineage3, lineage5"
    )
    parser.add_argument("--clients", type=int, default=50, help="closed-loop clients")
    parser.add_argument("--users", type=int, default=0, help="simulated users instead")
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    parser.add_argument("--seed", type=int, default=11)
    for label in ("a", "b"):
        parser.add_argument(
            f"--cache-{label}",
            choices=("no-store", "no-cache", "on"),
            default="no-store",
            help=f"how {label.upper()}'s requests meet the result cache: past it (no-store, the "
            "default: the queries are run), always computed and kept (no-cache: a miss), or "
            "as deployed (on)",
        )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    picked = await sample(Settings(), args.org, 200, rng)
    makers: dict[str, Maker] = {
        "lookup": lambda: (LOOKUP, {"id": to_global_id("Dataset", rng.choice(picked.datasets))}),
        "page": lambda: (PAGE, {"ns": rng.choice(picked.namespaces)}),
        **{
            f"lineage{depth}": lambda depth=depth: (
                LINEAGE % "downstream",
                {
                    "id": to_global_id("Dataset", rng.choice(picked.datasets)),
                    "depth": depth,
                    "limit": 10,
                },
            )
            for depth in (3, 5)
        },
    }
    names = args.scenario or ["lookup"]
    requests = {name: bodies(makers[name], 500) for name in names}
    servers = {"A": args.a, "B": args.b}
    cache = {"A": args.cache_a, "B": args.cache_b}
    headers = {
        label: {
            "Authorization": f"Bearer {login(url, bench_email(args.org), BENCH_PASSWORD)}",
            **({"Cache-Control": cache[label]} if cache[label] != "on" else {}),
        }
        for label, url in servers.items()
    }
    for label, url in servers.items():
        # A fresh worker's first seconds (connection pools, caches) are not what is compared.
        await node_load(url, headers[label], requests, clients=10, duration=args.warmup)
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    for round_no in range(1, args.rounds + 1):
        for label, url in servers.items():
            result = await node_load(
                url,
                headers[label],
                requests,
                clients=args.clients,
                users=args.users,
                think=args.think,
                duration=args.duration,
            )
            runs[label].append(result)
            every = result["scenarios"]
            latency = ", ".join(
                f"{name} p50 {every[name]['p50']:.1f} p95 {every[name]['p95']:.1f} ms"
                for name in names
            )
            print(
                f"round {round_no} {label}: {result['throughput']:.1f} req/s, "
                f"{result['errors']} errors, {latency}",
                flush=True,
            )
    mean = {label: statistics.mean(r["throughput"] for r in runs[label]) for label in runs}
    print(f"throughput B/A: {mean['B'] / mean['A']:.2f} ({mean['A']:.1f} -> {mean['B']:.1f} req/s)")


if __name__ == "__main__":
    asyncio.run(main())

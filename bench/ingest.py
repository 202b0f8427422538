"""Ingest through the write path: OpenLineage batches over HTTP, each event committed with its
outbox rows, then projected into Neo4j by the background projector in batches.

    .venv/bin/python -m bench.ingest --url http://127.0.0.1:8000 --events 5000 --batch 500

Each event is a COMPLETE run of its own job reading two datasets of the previous layer and
writing one new dataset with a five-column schema, so every event creates one job, one
dataset, five columns and their edges. Reports events per second accepted (committed in
Postgres), and the time until the graph has caught up (`/readyz` shows no pending event),
as events and graph rows per second. A batch answers once its events are committed and (up
to `NEXUS_PROJECTION_WAIT_TIMEOUT`) projected, so the accepted rate includes projection.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.common import login
from bench.generate import BENCH_PASSWORD, bench_email

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://nexus-graph.example/bench/ingest"
# Graph rows an event adds: job and dataset nodes, 5 fields with HAS_FIELD, 2 INPUT_TO,
# 1 PRODUCES, 2 FEEDS, and one run with HAS_RUN.
ROWS_PER_EVENT = 2 + 10 + 2 + 1 + 2 + 2


def event(run: str, index: int, inputs: list[str], namespace: str) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "run": {"runId": run},
        "job": {"namespace": "ingest", "name": f"{namespace}.job_{index:07d}"},
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "inputs": [{"namespace": namespace, "name": name} for name in inputs],
        "outputs": [
            {
                "namespace": namespace,
                "name": f"t_{index:07d}",
                "facets": {
                    "schema": {
                        "_producer": PRODUCER,
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                        "fields": [{"name": f"c{c}", "type": "bigint"} for c in range(5)],
                    }
                },
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--org", default="bench-a")
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=1, help="batches in flight at once")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    namespace = f"ingest://{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    token = login(args.url, bench_email(args.org), BENCH_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    made: list[str] = ["seed_a", "seed_b"]
    batches = []
    for first in range(0, args.events, args.batch):
        batch = []
        for index in range(first, min(args.events, first + args.batch)):
            inputs = sorted({rng.choice(made[-200:]), rng.choice(made)})
            batch.append(event(str(uuid.uuid4()), index, inputs, namespace))
        made += [f"t_{i:07d}" for i in range(first, first + len(batch))]
        batches.append(batch)
    accepted = 0
    lock = threading.Lock()
    with httpx.Client(base_url=args.url, headers=headers, timeout=300) as http:
        started = time.perf_counter()

        def send(batch: list[dict[str, Any]]) -> None:
            nonlocal accepted
            response = http.post("/api/v1/lineage/batch", json=batch)
            response.raise_for_status()
            body = response.json()
            with lock:
                accepted += body["accepted"] + body["duplicate"]
                rate = accepted / (time.perf_counter() - started)
                print(f"  accepted {accepted:,}/{args.events:,} ({rate:,.0f} events/s)")

        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            list(pool.map(send, batches))
        committed = time.perf_counter() - started
        pending = None
        while True:
            pending = http.get("/readyz").json()["projection"]["pending"]
            if pending == 0:
                break
            print(f"  projecting: {pending:,} outbox events pending", flush=True)
            time.sleep(2)
        projected = time.perf_counter() - started
    print()
    print(
        f"{accepted:,} of {args.events:,} events accepted in {committed:.1f}s "
        f"({accepted / committed:,.0f} events/s, batches of {args.batch}, {args.parallel} in "
        f"flight); graph caught up after "
        f"{projected:.1f}s ({accepted / projected:,.0f} events/s, about "
        f"{accepted * ROWS_PER_EVENT / projected:,.0f} graph rows/s)"
    )


if __name__ == "__main__":
    main()

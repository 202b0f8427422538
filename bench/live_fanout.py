"""Live update fan-out: many subscribers over two server processes, a stream of writes.

Measures, for every event and every subscriber, the delay from the change's commit (its outbox
row's timestamp, taken by Postgres on this machine) to its arrival at the client, and counts
deliveries that never happened.

    make services migrate            # the development services
    .venv/bin/python -m bench.live_fanout --subscribers 1000 --writes 200 --rate 10

The script starts its own `nexus serve` processes on free ports against the configured
databases and Redis, spreads the subscribers over client worker processes (the clients share
the machine's cores with the servers, so they must be cheap), and stops everything at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import websockets

from bench.common import DEV_EMAIL, DEV_PASSWORD, login

NEXUS = Path(sys.executable).with_name("nexus")
SUBSCRIBE = 'subscription { entityChanged(kind: "bench-fanout") { seq version } }'
CREATE = (
    'mutation { createEntity(input: {kind: "bench-fanout", name: "fan-out target"}) '
    "{ entity { id } } }"
)
UPDATE = "mutation($id: ID!, $n: String!) { updateEntity(input: {id: $id, name: $n}) { seq } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_servers(count: int, log_dir: Path) -> list[tuple[str, subprocess.Popen[bytes]]]:
    servers = []
    for index in range(count):
        port = free_port()
        log = (log_dir / f"server-{index}.log").open("wb")
        env = {**os.environ, "NEXUS_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [str(NEXUS), "serve", "--port", str(port)], stdout=log, stderr=log, env=env
        )
        servers.append((f"http://127.0.0.1:{port}", process))
    for url, _ in servers:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit(f"server {url} did not become ready; see {log_dir}")
    return servers


# --- client worker process ---------------------------------------------------------------


async def subscriber(
    url: str, token: str, arrivals: dict[int, float], ready: asyncio.Event
) -> str | None:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    try:
        async with websockets.connect(
            ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await ws.send(orjson.dumps(init), text=True)
            await ws.recv()
            start = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}
            await ws.send(orjson.dumps(start), text=True)
            ready.set()
            async for raw in ws:
                received = time.time()
                message = orjson.loads(raw)
                if message.get("type") == "next":
                    arrivals[message["payload"]["data"]["entityChanged"]["seq"]] = received
    except websockets.ConnectionClosedOK:
        return None
    except Exception as exc:
        ready.set()
        return f"{type(exc).__name__}: {exc}"
    return None


async def client_worker(urls: list[str], token: str, count: int, offset: int, out: Path) -> None:
    stop_file = out.with_suffix(".stop")
    arrivals: list[dict[int, float]] = [{} for _ in range(count)]
    readies = [asyncio.Event() for _ in range(count)]
    tasks = [
        asyncio.create_task(
            subscriber(urls[(offset + i) % len(urls)], token, arrivals[i], readies[i])
        )
        for i in range(count)
    ]
    await asyncio.gather(*(r.wait() for r in readies))
    out.with_suffix(".ready").touch()
    while not stop_file.exists():
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, str)]
    out.write_bytes(
        orjson.dumps({"arrivals": arrivals, "errors": errors}, option=orjson.OPT_NON_STR_KEYS)
    )


# --- coordinator -------------------------------------------------------------------------


async def commit_times(seqs: list[int]) -> dict[int, float]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.settings import Settings

    engine = create_async_engine(Settings().database_url.get_secret_value())
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, created_at FROM outbox WHERE id = ANY(:ids)"), {"ids": seqs}
        )
        found = {row.id: row.created_at.timestamp() for row in rows}
    await engine.dispose()
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


async def coordinate(args: argparse.Namespace) -> None:
    args.log_dir.mkdir(parents=True, exist_ok=True)
    servers = start_servers(args.servers, args.log_dir)
    urls = [url for url, _ in servers]
    token = login(urls[0], args.email, args.password)
    work = Path(tempfile.mkdtemp(prefix="nexus-fanout-"))
    workers: list[tuple[Path, subprocess.Popen[bytes]]] = []
    try:
        per_worker = [args.subscribers // args.clients] * args.clients
        per_worker[0] += args.subscribers - sum(per_worker)
        print(
            f"connecting {args.subscribers} subscribers to {args.servers} servers "
            f"from {args.clients} client processes ..."
        )
        started = time.perf_counter()
        offset = 0
        for index, count in enumerate(per_worker):
            out = work / f"worker-{index}.json"
            command = [
                sys.executable,
                "-m",
                "bench.live_fanout",
                "--worker",
                str(out),
                "--count",
                str(count),
                "--offset",
                str(offset),
                "--token",
                token,
                "--urls",
                *urls,
            ]
            workers.append((out, subprocess.Popen(command)))
            offset += count
        while not all(out.with_suffix(".ready").exists() for out, _ in workers):
            await asyncio.sleep(0.2)
        print(f"  connected in {time.perf_counter() - started:.1f}s")
        await asyncio.sleep(2)  # let every subscription reach its server

        seqs: list[int] = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=urls[0], timeout=30, headers=headers) as http:
            created = await http.post("/graphql", json={"query": CREATE})
            entity_id = created.json()["data"]["createEntity"]["entity"]["id"]
            print(f"writing {args.writes} updates at {args.rate}/s ...")
            interval = 1 / args.rate
            for n in range(args.writes):
                tick = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={"query": UPDATE, "variables": {"id": entity_id, "n": f"v{n}"}},
                )
                seqs.append(response.json()["data"]["updateEntity"]["seq"])
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))
        await asyncio.sleep(3)  # the last events are still on their way
        for out, _ in workers:
            out.with_suffix(".stop").touch()
        for _, process in workers:
            process.wait(timeout=60)

        committed = await commit_times(seqs)
        latencies_ms: list[float] = []
        errors: list[str] = []
        for out, _ in workers:
            result = orjson.loads(out.read_bytes())
            errors += result["errors"]
            for arrivals in result["arrivals"]:
                latencies_ms += [
                    (arrivals[str(seq)] - committed[seq]) * 1000
                    for seq in seqs
                    if str(seq) in arrivals
                ]
        expected = len(seqs) * args.subscribers
        print(
            f"subscribers: {args.subscribers} over {args.servers} servers; "
            f"writes: {len(seqs)} at {args.rate}/s"
        )
        print(
            f"deliveries: {len(latencies_ms)} of {expected}; lost: {expected - len(latencies_ms)}"
        )
        print(f"subscriber errors: {len(errors)} {errors[:3]}")
        if latencies_ms:
            print(
                "commit-to-client latency ms: "
                f"p50 {percentile(latencies_ms, 0.50):.1f}  "
                f"p95 {percentile(latencies_ms, 0.95):.1f}  "
                f"p99 {percentile(latencies_ms, 0.99):.1f}  "
                f"max {max(latencies_ms):.1f}  mean {statistics.fmean(latencies_ms):.1f}"
            )
    finally:
        for _, process in workers:
            if process.poll() is None:
                process.kill()
        for _, process in servers:
            process.terminate()
        for _, process in servers:
            process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="client worker processes")
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="writes per second")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp/nexus-bench-live"))
    parser.add_argument("--email", default=DEV_EMAIL, help="an editor's login")
    parser.add_argument("--password", default=DEV_PASSWORD)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--urls", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(client_worker(args.urls, args.token, args.count, args.offset, args.worker))
    else:
        asyncio.run(coordinate(args))


if __name__ == "__main__":
    main()

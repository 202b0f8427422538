#!/usr/bin/env bash
# The scale benchmarks from a clean start: generate the graph, rebuild Neo4j from Postgres,
# serve it with this service and with the Neo4j GraphQL Library, run bench/scale.py.
#
#   scripts/bench.sh                                # `make bench`: 100k relationships, minutes
#   BENCH_RELATIONSHIPS=1000000 scripts/bench.sh    # the documented larger runs
#
# Settings (environment):
#   BENCH_RELATIONSHIPS [100000]  graph size; BENCH_SEED [7]
#   BENCH_WORKERS       [2]       uvicorn worker processes of the service
#   BENCH_PORT          [8100]    the service;  BENCH_LIBRARY_PORT [4100] @neo4j/graphql
#   BENCH_SAMPLES       [200]     lineage traversals;  BENCH_DURATION [15] s per load run
#   BENCH_USERS         [1000]    simulated users;  BENCH_USER_DURATION [45] s
#   BENCH_REUSE=1                 keep the data already loaded (skip generate and rebuild)
#   BENCH_SCALE_ARGS              more options for bench.scale, e.g. "--skip lineage
#                                 --users-without-cache" (see python -m bench.scale --help)
#   BENCH_OUT           [.nexus/bench]  where the JSON figures go
# The services are the development ones (`make services`); NEXUS_* settings apply as usual,
# e.g. NEXUS_NEO4J_PAGECACHE=4g for the 10M-relationship run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/.venv/bin
SIZE=${BENCH_RELATIONSHIPS:-100000}
WORKERS=${BENCH_WORKERS:-2}
PORT=${BENCH_PORT:-8100}
LIBRARY_PORT=${BENCH_LIBRARY_PORT:-4100}
OUT=${BENCH_OUT:-$ROOT/.nexus/bench}
mkdir -p "$OUT"
say() { printf 'bench: %s\n' "$*" >&2; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for() { # url, what
    for _ in $(seq 1 120); do
        if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
        sleep 0.5
    done
    say "$2 did not answer at $1"
    exit 1
}

scripts/services.sh start
"$BIN/nexus" migrate
if [[ ${BENCH_REUSE:-0} != 1 ]]; then
    say "generating about $SIZE relationships"
    "$BIN/python" -m bench.generate --relationships "$SIZE" --seed "${BENCH_SEED:-7}" --replace
    "$BIN/nexus" graph rebuild --yes
fi

say "starting the service ($WORKERS workers) on port $PORT"
NEXUS_WORKERS=$WORKERS NEXUS_LOG_LEVEL=${NEXUS_LOG_LEVEL:-WARNING} \
    "$BIN/nexus" serve --port "$PORT" >"$OUT/serve.log" 2>&1 &
pids+=($!)
server=$!
wait_for "http://127.0.0.1:$PORT/readyz" "the service"

say "starting @neo4j/graphql on port $LIBRARY_PORT"
(cd bench/neo4j_graphql && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
PORT=$LIBRARY_PORT NEO4J_URI=${NEXUS_NEO4J_URI:-bolt://127.0.0.1:${NEXUS_NEO4J_BOLT_PORT:-7687}} \
    node bench/neo4j_graphql/server.mjs >"$OUT/neo4j-graphql.log" 2>&1 &
pids+=($!)
library=$!
for _ in $(seq 1 60); do
    grep -q "listening" "$OUT/neo4j-graphql.log" 2>/dev/null && break
    sleep 0.5
done

# Peak RSS is watched for every worker process of the service, and for the library's.
watch=(--server-pid "$library")
for pid in $(pgrep -P "$server") "$server"; do watch+=(--server-pid "$pid"); done

"$BIN/python" -m bench.scale \
    --url "http://127.0.0.1:$PORT" \
    --neo4j-graphql "http://127.0.0.1:$LIBRARY_PORT/graphql" \
    --samples "${BENCH_SAMPLES:-200}" \
    --duration "${BENCH_DURATION:-15}" \
    --users "${BENCH_USERS:-1000}" \
    --user-duration "${BENCH_USER_DURATION:-45}" \
    "${watch[@]}" \
    ${BENCH_SCALE_ARGS:-} \
    --json "$OUT/scale-$SIZE.json"
say "figures: $OUT/scale-$SIZE.json"

"""A realistic graph for the scale benchmarks, written straight into Postgres with COPY.

    .venv/bin/python -m bench.generate --relationships 1000000 --seed 7 --replace
    .venv/bin/nexus graph rebuild --yes

Two organisations (`bench-a` with 90% of the data, `bench-b` with the rest), each with:

- datasets in eight layers (raw sources to exports), each with 2 to 40 columns, a few of
  them tagged `pii`, and owners and tags drawn from small pools;
- jobs that read one to twenty datasets of earlier layers and write one or two of the next:
  inputs are drawn with a strong skew, so a few datasets are hubs read by thousands of jobs
  (fan-out) while most jobs read two or three (fan-in);
- column lineage from three columns of every produced dataset to columns of its inputs;
- entities with `RELATES_TO` relationships whose targets follow the same skew (power-law
  in-degrees, a few hubs), and entities that describe datasets (`DESCRIBES`);
- four governance policies that select datasets by tag.

Everything is deterministic from `--seed`: the same seed and size give the same ids. The
relationship count is that of the Neo4j graph after `nexus graph rebuild` (HAS_FIELD,
INPUT_TO, PRODUCES, FEEDS between datasets and between columns, RELATES_TO, DESCRIBES,
GOVERNS), within a fraction of a percent. Postgres is the source of truth, so the graph is
made by `nexus graph rebuild`, the same path that restores a lost Neo4j.

Records are written without history rows (entity and dataset versions) and without outbox
events: this is a bulk import, not a sequence of changes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from app.core.db import create_engine, create_session_factory
from app.core.settings import Settings
from app.identity.users import ensure_admin

ORGS = (("bench-a", 0.9), ("bench-b", 0.1))
BENCH_PASSWORD = "nexus-bench-password"  # noqa: S105 - the documented benchmark login
LAYERS = ("raw", "staging", "clean", "core", "marts", "reports", "exports", "ml")
NAMESPACES_PER_ORG = 12
COLUMN_TYPES = ("bigint", "integer", "text", "varchar", "timestamp", "date", "numeric", "bool")
DATASET_TAGS = ("finance", "marketing", "ops", "gold", "silver", "bronze", "certified")
ENTITY_KINDS = ("person", "team", "system", "service", "concept", "metric", "product", "term")
RELATIONSHIP_TYPES = ("OWNS", "USES", "DEPENDS_ON", "PART_OF", "MENTIONS", "RELATED_TO")
CHUNK = 50_000


def bench_email(slug: str) -> str:
    return f"{slug}@nexus-graph.example"


def skewed(rng: random.Random, size: int, power: float = 2.5) -> int:
    """An index in [0, size) with a power-law-like skew towards 0: the low indices are hubs."""
    return min(size - 1, int(size * rng.random() ** power))


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class Counts:
    datasets: int = 0
    fields: int = 0
    jobs: int = 0
    inputs: int = 0
    outputs: int = 0
    dataset_feeds: int = 0
    column_feeds: int = 0
    entities: int = 0
    relationships: int = 0
    describes: int = 0
    governs: int = 0

    @property
    def graph_relationships(self) -> int:
        return (
            self.fields
            + self.inputs
            + self.outputs
            + self.dataset_feeds
            + self.column_feeds
            + self.relationships
            + self.describes
            + self.governs
        )

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DatasetRow:
    id: uuid.UUID
    namespace: str
    name: str
    columns: list[dict[str, Any]]
    tags: list[str]
    owners: list[str]
    lineage: list[dict[str, Any]] = field(default_factory=list)

    def record(self, org: uuid.UUID) -> tuple[Any, ...]:
        return (
            self.id,
            org,
            self.namespace,
            self.name,
            f"{self.name} in {self.namespace}",
            self.owners,
            self.tags,
            orjson.dumps(self.columns).decode(),
            1 if self.columns else 0,
            orjson.dumps(self.lineage).decode(),
        )


DATASET_COLUMNS = (
    "id",
    "organization_id",
    "namespace",
    "name",
    "description",
    "owners",
    "tags",
    "fields",
    "schema_version",
    "column_lineage",
)
JOB_COLUMNS = ("id", "organization_id", "namespace", "name", "description", "inputs", "outputs")
ENTITY_COLUMNS = (
    "id",
    "organization_id",
    "kind",
    "name",
    "description",
    "properties",
    "confidence",
    "tags",
)
RELATIONSHIP_COLUMNS = ("id", "organization_id", "source_id", "target_id", "type", "confidence")
DESCRIBES_COLUMNS = ("entity_id", "dataset_id", "organization_id")
POLICY_COLUMNS = (
    "id",
    "organization_id",
    "name",
    "description",
    "effect",
    "actions",
    "subject_roles",
    "subject_user_ids",
    "resource_kinds",
    "namespace_pattern",
    "resource_tags",
    "resource_ids",
    "priority",
    "state",
)


@dataclass
class Plan:
    """How many of each to make for one organisation so that the graph has about `target`
    relationships: a fortieth of them become datasets, the rest of the budget left after
    lineage goes to entity relationships (entities get about 13 each)."""

    target: int

    @property
    def datasets(self) -> int:
        return max(len(LAYERS) * 4, self.target // 40)

    @property
    def entities(self) -> int:
        return max(20, self.target // 10)


class Generator:
    def __init__(self, slug: str, org: uuid.UUID, plan: Plan, seed: int) -> None:
        self.slug, self.org, self.plan = slug, org, plan
        self.rng = random.Random(f"{seed}:{slug}")
        self.counts = Counts()
        self.teams = [f"team-{i}@{slug}.example" for i in range(50)]

    # --- lineage ---------------------------------------------------------------------------

    def datasets_and_jobs(self) -> tuple[list[DatasetRow], list[tuple[Any, ...]]]:
        rng = self.rng
        per_layer = max(4, self.plan.datasets // len(LAYERS))
        layers: list[list[DatasetRow]] = []
        for depth, label in enumerate(LAYERS):
            layer = []
            for i in range(per_layer):
                namespace = f"postgres://{self.slug}-{rng.randrange(NAMESPACES_PER_ORG)}:5432"
                width = min(40, 2 + int(rng.paretovariate(1.6) * 2))
                columns = [
                    {
                        "name": f"c{c}_{rng.choice(COLUMN_TYPES)}",
                        "type": rng.choice(COLUMN_TYPES),
                        "description": None,
                        "tags": ["pii"] if rng.random() < 0.05 else [],
                    }
                    for c in range(width)
                ]
                tags = sorted({rng.choice(DATASET_TAGS) for _ in range(rng.randrange(3))})
                if any(c["tags"] for c in columns):
                    tags.append("pii")
                owners = sorted({rng.choice(self.teams) for _ in range(1 + rng.randrange(2))})
                layer.append(
                    DatasetRow(
                        uuid_from(rng),
                        namespace,
                        f"{label}.t{depth}_{i:07d}",
                        columns,
                        tags,
                        owners,
                    )
                )
                self.counts.fields += width
            layers.append(layer)
        jobs: list[tuple[Any, ...]] = []
        for depth in range(1, len(LAYERS)):
            layer, produced = layers[depth], 0
            while produced < len(layer):
                outputs = layer[produced : produced + (2 if rng.random() < 0.2 else 1)]
                produced += len(outputs)
                inputs = self._inputs(layers, depth)
                job_id = uuid_from(rng)
                jobs.append(
                    (
                        job_id,
                        self.org,
                        f"airflow://{self.slug}",
                        f"dag_{len(jobs) // 25:05d}.task_{len(jobs):07d}",
                        None,
                        [d.id for d in inputs],
                        [d.id for d in outputs],
                    )
                )
                self.counts.inputs += len(inputs)
                self.counts.outputs += len(outputs)
                self.counts.dataset_feeds += len(inputs) * len(outputs)
                for output in outputs:
                    self._column_lineage(output, inputs)
        self.counts.jobs = len(jobs)
        datasets = [d for layer in layers for d in layer]
        self.counts.datasets = len(datasets)
        return datasets, jobs

    def _inputs(self, layers: list[list[DatasetRow]], depth: int) -> list[DatasetRow]:
        rng = self.rng
        wanted = min(20, int(rng.paretovariate(1.3)) + rng.randrange(2))
        chosen: dict[uuid.UUID, DatasetRow] = {}
        for _ in range(max(1, wanted)):
            source = depth - 1 if rng.random() < 0.7 else rng.randrange(depth)
            candidate = layers[source][skewed(rng, len(layers[source]))]
            chosen[candidate.id] = candidate
        return list(chosen.values())

    def _column_lineage(self, output: DatasetRow, inputs: Sequence[DatasetRow]) -> None:
        rng = self.rng
        seen: set[tuple[str, uuid.UUID, str]] = set()
        for column in output.columns[:3]:
            source = rng.choice(inputs)
            source_column = rng.choice(source.columns)["name"]
            key = (column["name"], source.id, source_column)
            if key in seen:
                continue
            seen.add(key)
            output.lineage.append(
                {
                    "field": column["name"],
                    "source_dataset": str(source.id),
                    "source_field": source_column,
                    "transformation": rng.choice(("IDENTITY", "AGGREGATION", "TRANSFORMATION")),
                }
            )
        self.counts.column_feeds += len(output.lineage)

    # --- knowledge graph -------------------------------------------------------------------

    def entities(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows = []
        for i in range(self.plan.entities):
            kind = ENTITY_KINDS[skewed(rng, len(ENTITY_KINDS), 1.5)]
            rows.append(
                (
                    uuid_from(rng),
                    self.org,
                    kind,
                    f"{kind} {i:07d}",
                    f"Generated {kind} number {i}",
                    orjson.dumps({"rank": i, "source": "bench"}).decode(),
                    round(0.5 + rng.random() / 2, 3),
                    sorted({rng.choice(DATASET_TAGS) for _ in range(rng.randrange(3))}),
                )
            )
        self.counts.entities = len(rows)
        return rows

    def relationships(self, entity_ids: list[uuid.UUID], budget: int) -> Iterator[tuple[Any, ...]]:
        """`budget` relationships with uniformly drawn sources and skewed targets."""
        rng, size = self.rng, len(entity_ids)
        seen: set[int] = set()
        types = len(RELATIONSHIP_TYPES)
        made = attempts = 0
        while made < budget and attempts < budget * 3:
            attempts += 1
            source, target = rng.randrange(size), skewed(rng, size, 3.0)
            kind = rng.randrange(types)
            key = (source * size + target) * types + kind
            if source == target or key in seen:
                continue
            seen.add(key)
            made += 1
            yield (
                uuid_from(rng),
                self.org,
                entity_ids[source],
                entity_ids[target],
                RELATIONSHIP_TYPES[kind],
                round(0.5 + rng.random() / 2, 3),
            )
        self.counts.relationships = made

    def describes(
        self, entity_ids: list[uuid.UUID], datasets: list[DatasetRow]
    ) -> list[tuple[Any, ...]]:
        rng = self.rng
        pairs = {
            (entity_ids[skewed(rng, len(entity_ids), 1.5)], dataset.id)
            for dataset in datasets
            if rng.random() < 0.8
        }
        self.counts.describes = len(pairs)
        return [(entity, dataset, self.org) for entity, dataset in sorted(pairs)]

    def policies(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        specs = [
            ("Finance data is certified by stewards", "ALLOW", ["write"], ["STEWARD"], "finance"),
            ("PII columns stay masked for viewers", "DENY", ["read_sensitive"], ["VIEWER"], "pii"),
            ("Gold datasets are read-only for editors", "DENY", ["delete"], ["EDITOR"], "gold"),
            ("Marketing data for the marketing team", "ALLOW", ["read"], ["VIEWER"], "marketing"),
        ]
        rows = []
        for priority, (name, effect, actions, roles, tag) in enumerate(specs):
            rows.append(
                (
                    uuid_from(rng),
                    self.org,
                    name,
                    f"Benchmark policy on datasets tagged {tag}.",
                    effect,
                    actions,
                    roles,
                    [],
                    ["dataset"],
                    None,
                    [tag],
                    [],
                    priority,
                    "ACTIVE",
                )
            )
        self.counts.governs = len(rows)
        return rows


async def copy_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]],
    label: str,
) -> int:
    written, started, chunk = 0, time.perf_counter(), []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await conn.copy_records_to_table(table, records=chunk, columns=list(columns))
            written += len(chunk)
            chunk = []
            if sys.stdout.isatty():
                rate = written / (time.perf_counter() - started)
                print(f"\r  {label}: {written:,} ({rate:,.0f} rows/s)", end="", flush=True)
    if chunk:
        await conn.copy_records_to_table(table, records=chunk, columns=list(columns))
        written += len(chunk)
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed else 0.0
    back = "\r" if sys.stdout.isatty() else ""
    print(f"{back}  {label}: {written:,} in {elapsed:.1f}s ({rate:,.0f} rows/s)")
    return written


async def clear(conn: asyncpg.Connection, org: uuid.UUID) -> None:
    for table in ("entity_datasets", "relationships", "entities", "jobs", "datasets", "policies"):
        status = await conn.execute(f"DELETE FROM {table} WHERE organization_id = $1", org)  # noqa: S608
        print(f"  cleared {table}: {status.split()[-1]} rows")


async def organisation(settings: Settings, slug: str) -> uuid.UUID:
    """The organisation, created with its benchmark admin when missing."""
    engine = create_engine(settings)
    try:
        _user, org, _created = await ensure_admin(
            create_session_factory(engine),
            email=bench_email(slug),
            password=BENCH_PASSWORD,
            organization_slug=slug,
            display_name=f"Benchmark admin of {slug}",
        )
    finally:
        await engine.dispose()
    return org.id


async def generate(settings: Settings, *, relationships: int, seed: int, replace: bool) -> Counts:
    dsn = settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://")
    total = Counts()
    for slug, share in ORGS:
        org = await organisation(settings, slug)
        conn = await asyncpg.connect(dsn)
        try:
            existing = await conn.fetchval(
                "SELECT count(*) FROM datasets WHERE organization_id = $1", org
            )
            if existing and not replace:
                raise SystemExit(
                    f"{slug} already has {existing} datasets; pass --replace to regenerate it."
                )
            print(f"{slug}: about {int(relationships * share):,} graph relationships")
            if existing:
                await clear(conn, org)
            generator = Generator(slug, org, Plan(int(relationships * share)), seed)
            datasets, jobs = generator.datasets_and_jobs()
            entities = generator.entities()
            entity_ids = [row[0] for row in entities]
            describes = generator.describes(entity_ids, datasets)
            planned = generator.counts.graph_relationships + 4  # and the GOVERNS of 4 policies
            budget = max(0, int(relationships * share) - planned)
            async with conn.transaction():
                await copy_rows(
                    conn,
                    "datasets",
                    DATASET_COLUMNS,
                    (d.record(org) for d in datasets),
                    "datasets",
                )
                await copy_rows(conn, "jobs", JOB_COLUMNS, jobs, "jobs")
                await copy_rows(conn, "entities", ENTITY_COLUMNS, entities, "entities")
                await copy_rows(
                    conn,
                    "relationships",
                    RELATIONSHIP_COLUMNS,
                    generator.relationships(entity_ids, budget),
                    "relationships",
                )
                await copy_rows(
                    conn, "entity_datasets", DESCRIBES_COLUMNS, describes, "entity descriptions"
                )
                await copy_rows(conn, "policies", POLICY_COLUMNS, generator.policies(), "policies")
            total.add(generator.counts)
        finally:
            await conn.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return total


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--relationships",
        type=int,
        default=100_000,
        help="about how many graph relationships to make (100k to 10M)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--replace", action="store_true", help="delete the benchmark organisations' data first"
    )
    args = parser.parse_args(argv)
    if not 1_000 <= args.relationships <= 50_000_000:
        parser.error("--relationships: give a number between 1,000 and 50,000,000")
    started = time.perf_counter()
    counts = asyncio.run(
        generate(Settings(), relationships=args.relationships, seed=args.seed, replace=args.replace)
    )
    elapsed = time.perf_counter() - started
    print(
        f"generated {counts.datasets:,} datasets ({counts.fields:,} columns), "
        f"{counts.jobs:,} jobs, {counts.entities:,} entities; "
        f"{counts.graph_relationships:,} graph relationships "
        f"(HAS_FIELD {counts.fields:,}, INPUT_TO {counts.inputs:,}, "
        f"PRODUCES {counts.outputs:,}, FEEDS {counts.dataset_feeds + counts.column_feeds:,}, "
        f"RELATES_TO {counts.relationships:,}, DESCRIBES {counts.describes:,}, "
        f"GOVERNS {counts.governs:,}) in {elapsed:.1f}s"
    )
    print("next: .venv/bin/nexus graph rebuild --yes   (projects Postgres into Neo4j)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

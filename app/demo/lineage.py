"""Deterministic demo lineage for Corvid Agritech (used by `nexus seed`), as OpenLineage events.

Sources (operational databases, topics, buckets, a CRM) are loaded into the warehouse, staged
one to one by dbt, joined into intermediate models, aggregated into marts, and charted by
dashboards: a few hundred datasets with columns, column lineage and owners. Pure data: the
same events every time, so a second seed is a no-op (the ingest deduplicates them).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

PRODUCER = "https://github.com/nexus-graph/nexus-graph/demo"
RUN_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
WAREHOUSE = "snowflake://corvid.eu-central-1"
BI = "superset://bi.corvid-agritech.example"
EVENT_TIME = "2026-11-01T06:00:00+00:00"
RUN_NAMESPACE = uuid.UUID("6f1c9c43-4e0b-4a55-9a43-3b2c3f0c1a77")

# namespace -> (owner, subjects)
SOURCES: dict[str, tuple[str, list[str]]] = {
    "postgres://fieldos-core-db:5432": (
        "team:platform",
        [
            "farms",
            "fields",
            "rovers",
            "missions",
            "jobs",
            "tasks",
            "operators",
            "crops",
            "seasons",
            "zones",
            "maintenance",
            "firmware",
            "parts",
            "alerts",
            "schedules",
        ],
    ),
    "kafka://telemetry:9092": (
        "team:fleet",
        [
            "gps_pings",
            "battery_levels",
            "motor_temps",
            "soil_readings",
            "camera_frames",
            "lidar_scans",
            "weather_samples",
            "faults",
            "heartbeats",
            "speed_samples",
            "yield_samples",
            "spray_events",
            "seed_events",
            "obstacle_events",
            "charge_sessions",
        ],
    ),
    "postgres://billing-db:5432": (
        "team:billing",
        [
            "accounts",
            "invoices",
            "invoice_lines",
            "payments",
            "subscriptions",
            "plans",
            "discounts",
            "refunds",
            "credit_notes",
            "tax_rates",
            "currencies",
            "usage_records",
            "dunning_events",
            "contracts",
            "price_books",
        ],
    ),
    "mysql://dealer-portal:3306": (
        "team:dealers",
        [
            "dealers",
            "dealer_orders",
            "dealer_stock",
            "warranties",
            "service_tickets",
            "technicians",
            "regions",
            "quotes",
            "shipments",
            "returns",
            "trainings",
            "certifications",
            "visits",
            "leads",
            "territories",
        ],
    ),
    "s3://corvid-raw": (
        "team:data-platform",
        [
            "satellite_tiles",
            "drone_images",
            "lab_results",
            "weather_forecasts",
            "market_prices",
            "soil_maps",
            "irrigation_logs",
            "pest_reports",
            "harvest_reports",
            "fertilizer_logs",
            "equipment_manuals",
            "survey_results",
            "sensor_calibrations",
            "field_boundaries",
            "export_files",
        ],
    ),
    "salesforce://corvid": (
        "team:sales",
        [
            "opportunities",
            "contacts",
            "campaigns",
            "cases",
            "activities",
            "forecasts",
            "products_catalog",
            "pricing_requests",
            "partner_accounts",
            "nps_responses",
            "churn_signals",
            "renewals",
            "upsell_offers",
            "events_registrations",
            "webinars",
        ],
    ),
}

COLUMN_POOL = [
    ("id", "bigint"),
    ("created_at", "timestamp"),
    ("updated_at", "timestamp"),
    ("farm_id", "bigint"),
    ("rover_id", "bigint"),
    ("account_id", "bigint"),
    ("amount", "numeric"),
    ("quantity", "integer"),
    ("status", "varchar"),
    ("region", "varchar"),
    ("email", "varchar"),
    ("phone", "varchar"),
    ("latitude", "double"),
    ("longitude", "double"),
    ("value", "double"),
]
PII = {"email", "phone"}
INTERMEDIATE = 30
MARTS = 35
DASHBOARDS = 40


@dataclass(frozen=True, slots=True)
class DemoDataset:
    namespace: str
    name: str
    columns: list[tuple[str, str]]
    owner: str
    description: str


@dataclass(frozen=True, slots=True)
class DemoJob:
    namespace: str
    name: str
    inputs: list[DemoDataset]
    output: DemoDataset
    # output column -> [(input dataset, input column, transformation subtype)]
    columns: dict[str, list[tuple[DemoDataset, str, str]]]


def build_demo_lineage(seed: int = 42) -> list[DemoJob]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    jobs: list[DemoJob] = []
    staged: list[DemoDataset] = []
    for namespace, (owner, subjects) in SOURCES.items():
        system = namespace.split("://")[1].split(":")[0].split(".")[0]
        for subject in subjects:
            columns = [COLUMN_POOL[0], *rng.sample(COLUMN_POOL[1:], rng.randint(3, 7))]
            source = DemoDataset(namespace, f"public.{subject}", columns, owner, "")
            raw = DemoDataset(
                WAREHOUSE,
                f"raw.{system}.{subject}",
                columns,
                "team:data-platform",
                f"{subject.replace('_', ' ')} as loaded from {system}",
            )
            jobs.append(_copy(f"load_{system}", f"load_{system}.{subject}", source, raw))
            stg = DemoDataset(
                WAREHOUSE,
                f"staging.stg_{system}__{subject}",
                columns,
                "team:analytics",
                f"Cleaned and typed {subject.replace('_', ' ')} from {system}",
            )
            jobs.append(_copy("dbt", f"stg_{system}__{subject}", raw, stg))
            staged.append(stg)
    intermediate = [
        _combine(rng, "dbt", f"intermediate.int_{i:02d}", staged, "team:analytics", 2, 4)
        for i in range(INTERMEDIATE)
    ]
    jobs.extend(intermediate)
    marts = [
        _combine(
            rng,
            "dbt",
            f"marts.{rng.choice(['finance', 'fleet', 'agronomy', 'sales'])}_mart_{i:02d}",
            [j.output for j in intermediate] + staged,
            "team:finance" if i % 3 == 0 else "team:analytics",
            2,
            3,
        )
        for i in range(MARTS)
    ]
    jobs.extend(marts)
    jobs.extend(
        _combine(
            rng,
            "superset",
            f"dashboards.dashboard_{i:02d}",
            [m.output for m in marts],
            "team:bi",
            1,
            2,
            namespace=BI,
        )
        for i in range(DASHBOARDS)
    )
    return jobs


def _copy(job_namespace: str, name: str, source: DemoDataset, target: DemoDataset) -> DemoJob:
    return DemoJob(
        namespace=job_namespace,
        name=name,
        inputs=[source],
        output=target,
        columns={c: [(source, c, "IDENTITY")] for c, _ in target.columns},
    )


def _combine(
    rng: random.Random,
    job_namespace: str,
    name: str,
    candidates: list[DemoDataset],
    owner: str,
    least: int,
    most: int,
    namespace: str = WAREHOUSE,
) -> DemoJob:
    inputs = sorted(rng.sample(candidates, rng.randint(least, most)), key=lambda d: d.name)
    columns: dict[str, list[tuple[DemoDataset, str, str]]] = {}
    for source in inputs:
        for column, _ in source.columns:
            if column != "id" and column not in columns and len(columns) < 6:
                subtype = "AGGREGATION" if column in ("amount", "quantity", "value") else "IDENTITY"
                columns[column] = [(source, column, subtype)]
    types = {c: t for source in inputs for c, t in source.columns}
    output = DemoDataset(
        namespace,
        name,
        [(c, types[c]) for c in columns],
        owner,
        f"Built from {', '.join(d.name for d in inputs)}",
    )
    return DemoJob(job_namespace, name.split(".")[-1], inputs, output, columns)


def job_events(job: DemoJob) -> list[dict[str, Any]]:
    """START and COMPLETE of one run of the job, in OpenLineage 2-0-2 shape."""
    run_id = str(uuid.uuid5(RUN_NAMESPACE, f"{job.namespace}/{job.name}"))
    base = {
        "run": {"runId": run_id},
        "job": {"namespace": job.namespace, "name": job.name},
        "producer": PRODUCER,
        "schemaURL": RUN_SCHEMA,
    }
    start = {**base, "eventType": "START", "eventTime": EVENT_TIME}
    complete = {
        **base,
        "eventType": "COMPLETE",
        "eventTime": EVENT_TIME.replace("06:00", "06:05"),
        "inputs": [_dataset(d) for d in job.inputs],
        "outputs": [_dataset(job.output, job.columns)],
    }
    return [start, complete]


def _dataset(
    dataset: DemoDataset, columns: dict[str, list[tuple[DemoDataset, str, str]]] | None = None
) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "schema": {"fields": [{"name": c, "type": t} for c, t in dataset.columns]},
        "ownership": {"owners": [{"name": dataset.owner}]},
        "tags": {
            "tags": [
                {"key": "pii", "value": "true", "field": c} for c, _ in dataset.columns if c in PII
            ]
        },
    }
    if dataset.description:
        facets["documentation"] = {"description": dataset.description}
    if columns:
        facets["columnLineage"] = {
            "fields": {
                column: {
                    "inputFields": [
                        {
                            "namespace": source.namespace,
                            "name": source.name,
                            "field": source_column,
                            "transformations": [{"type": "DIRECT", "subtype": subtype}],
                        }
                        for source, source_column, subtype in sources
                    ]
                }
                for column, sources in columns.items()
            }
        }
    return {"namespace": dataset.namespace, "name": dataset.name, "facets": facets}

"""A small warehouse described by real OpenLineage events, emitted by openlineage-python.

    raw.orders ──stg_orders──▶ stg.orders ──┐
                                            ├─mart_revenue─▶ mart.revenue ─dash─▶ dash.revenue
    raw.customers ─stg_customers─▶ stg.customers ┘

Columns: raw.orders.amount → stg.orders.amount (IDENTITY) → mart.revenue.total
(AGGREGATION) → dash.revenue.total (IDENTITY); stg.customers.name → mart.revenue.customer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    ownership_dataset,
    schema_dataset,
    tags_dataset,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport

from tests.conftest import GraphQLClient

PRODUCER = "https://github.com/nexus-graph/tests"
T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

# dataset -> (columns, owners)
DATASETS: dict[str, tuple[list[str], list[str]]] = {
    "raw.orders": (["id", "customer_id", "amount"], ["team:ingest"]),
    "raw.customers": (["id", "name", "email"], ["team:ingest"]),
    "stg.orders": (["id", "customer_id", "amount"], ["team:analytics"]),
    "stg.customers": (["id", "name"], ["team:analytics"]),
    "mart.revenue": (["customer", "total"], ["team:finance"]),
    "dash.revenue": (["customer", "total"], ["team:bi"]),
}

# job -> (inputs, outputs, column lineage of the output: column -> [(input, column, subtype)])
JOBS: dict[str, tuple[list[str], str, dict[str, list[tuple[str, str, str]]]]] = {
    "stg_orders": (
        ["raw.orders"],
        "stg.orders",
        {"amount": [("raw.orders", "amount", "IDENTITY")]},
    ),
    "stg_customers": (
        ["raw.customers"],
        "stg.customers",
        {"name": [("raw.customers", "name", "IDENTITY")]},
    ),
    "mart_revenue": (
        ["stg.customers", "stg.orders"],
        "mart.revenue",
        {
            "total": [("stg.orders", "amount", "AGGREGATION")],
            "customer": [("stg.customers", "name", "IDENTITY")],
        },
    ),
    "dash": (["mart.revenue"], "dash.revenue", {"total": [("mart.revenue", "total", "IDENTITY")]}),
}


@dataclass(frozen=True)
class Warehouse:
    namespace: str
    job_namespace: str
    run_ids: dict[str, str]

    def events(self) -> list[RunEvent]:
        """START, RUNNING and COMPLETE of every job, in that order."""
        events: list[RunEvent] = []
        for index, (job, (inputs, output, columns)) in enumerate(JOBS.items()):
            run = Run(runId=self.run_ids[job])
            started = T0 + timedelta(minutes=10 * index)
            for state, offset in (
                (RunState.START, 0),
                (RunState.RUNNING, 1),
                (RunState.COMPLETE, 5),
            ):
                events.append(
                    RunEvent(
                        eventType=state,
                        eventTime=(started + timedelta(minutes=offset)).isoformat(),
                        run=run,
                        job=Job(namespace=self.job_namespace, name=job),
                        producer=PRODUCER,
                        inputs=[self.input(name) for name in inputs],
                        outputs=[self.output(output, columns)],
                    )
                )
        return events

    def input(self, name: str) -> InputDataset:
        return InputDataset(self.namespace, name, facets=self._facets(name))

    def output(self, name: str, columns: dict[str, list[tuple[str, str, str]]]) -> OutputDataset:
        facets: dict[str, Any] = self._facets(name)
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                column: column_lineage_dataset.Fields(
                    inputFields=[
                        column_lineage_dataset.InputField(
                            self.namespace,
                            source,
                            source_column,
                            transformations=[
                                column_lineage_dataset.Transformation(
                                    type="DIRECT", subtype=subtype
                                )
                            ],
                        )
                        for source, source_column, subtype in sources
                    ]
                )
                for column, sources in columns.items()
            }
        )
        return OutputDataset(self.namespace, name, facets=facets)

    def _facets(self, name: str) -> dict[str, Any]:
        columns, owners = DATASETS[name]
        return {
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[
                    schema_dataset.SchemaDatasetFacetFields(name=c, type="string") for c in columns
                ]
            ),
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=o) for o in owners]
            ),
            "tags": tags_dataset.TagsDatasetFacet(
                tags=[tags_dataset.TagsDatasetFacetFields(key="pii", value="true", field="email")]
                if name == "raw.customers"
                else []
            ),
        }


def new_warehouse(prefix: str = "wh") -> Warehouse:
    suffix = uuid.uuid4().hex[:8]
    return Warehouse(
        namespace=f"postgres://{prefix}-{suffix}:5432",
        job_namespace=f"airflow-{suffix}",
        run_ids={job: str(uuid.uuid4()) for job in JOBS},
    )


def openlineage_client(client: GraphQLClient) -> OpenLineageClient:
    """The real OpenLineage HTTP client, pointed at the test server with the same credentials
    as the GraphQL client."""
    headers = {k: v for k, v in client.http.headers.items() if k.lower() == "authorization"}
    config = HttpConfig(url=str(client.http.base_url), timeout=30, custom_headers=headers)
    return OpenLineageClient(transport=HttpTransport(config))


async def emit(client: GraphQLClient, events: Sequence[RunEvent | DatasetEvent | JobEvent]) -> None:
    emitter = openlineage_client(client)
    for event in events:
        await asyncio.to_thread(emitter.emit, event)

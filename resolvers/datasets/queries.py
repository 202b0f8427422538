"""Dataset and job queries: `dataset`, `datasets` and `job`."""

from __future__ import annotations

import strawberry

from app.access.control import DATASET_COLUMNS
from app.core.errors import BadUserInput, NotFound
from app.core.pagination import Cursor
from app.core.scope import Role
from app.datasets import jobs as job_records
from app.datasets import records
from resolvers.caching import CACHEABLE
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.datasets.types import Dataset, Job
from resolvers.node import PageInfo, expect_global_id
from resolvers.pagination import page_size
from resolvers.permissions import requires


@strawberry.type
class DatasetEdge:
    cursor: str
    node: Dataset


@strawberry.type
class DatasetConnection:
    edges: list[DatasetEdge]
    page_info: PageInfo


@strawberry.type
class DatasetQueries:
    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="One dataset by ID, or by namespace and name; NOT_FOUND when there is none.",
    )
    async def dataset(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        namespace: str | None = None,
        name: str | None = None,
    ) -> Dataset:
        if id is not None:
            if namespace is not None or name is not None:
                raise BadUserInput("Give either id or namespace + name, not both.", field="id")
            record = await info.context.loaders(DatasetLoaders).dataset_by_id.load(
                expect_global_id(id, "Dataset")
            )
        elif namespace is not None and name is not None:
            found = await records.dataset_by_name(
                info.context.state.sessions,
                organization_id=info.context.scope.organization_id,
                namespace=namespace,
                name=name,
            )
            (record,) = (await info.context.access()).present_datasets([found])
        else:
            raise BadUserInput("Give id, or both namespace and name.", field="id")
        if record is None:
            raise NotFound("No dataset matches.", id=id, namespace=namespace, name=name)
        return Dataset(record=record)

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Datasets ordered by namespace and name, a page at a time.",
    )
    async def datasets(
        self,
        info: Info,
        namespace: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DatasetConnection:
        size = page_size(info, first)
        access = await info.context.access()
        page = await records.list_datasets(
            info.context.state.sessions,
            organization_id=info.context.scope.organization_id,
            namespace=namespace,
            first=size,
            after=Cursor.decode(after) if after is not None else None,
            visible=access.visible_clause(DATASET_COLUMNS),
        )
        # Hidden rows are already left out in SQL; this masks sensitive descriptions.
        shown = page.shown(access.present_datasets(page.items))
        for item, _ in shown:
            info.context.loaders(DatasetLoaders).dataset_by_id.prime(item.id, item)
        edges = [DatasetEdge(cursor=c.encode(), node=Dataset(record=item)) for item, c in shown]
        return DatasetConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next=page.has_next, has_previous=after is not None),
        )

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="One job by ID, or by namespace and name.",
    )
    async def job(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        namespace: str | None = None,
        name: str | None = None,
    ) -> Job:
        if id is not None:
            record = await info.context.loaders(DatasetLoaders).job_by_id.load(
                expect_global_id(id, "Job")
            )
        elif namespace is not None and name is not None:
            async with info.context.state.sessions() as session:
                found = await job_records.job_by_name(
                    session,
                    organization_id=info.context.scope.organization_id,
                    namespace=namespace,
                    name=name,
                )
            (record,) = (await info.context.access()).present_jobs([found])
        else:
            raise BadUserInput("Give id, or both namespace and name.", field="id")
        if record is None:
            raise NotFound("No job matches.", id=id, namespace=namespace, name=name)
        return Job(record=record)

"""The one way a subscription receives changes: scoped to the caller's organisation, with
fresh loaders per event, and a clear close when the subscriber falls behind."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.changes.records import Change
from app.live.channel import LiveSubscription, SlowConsumer
from resolvers.changes.visibility import visible_changes
from resolvers.context import Context, Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.entities.loaders import EntityLoaders

log = logging.getLogger(__name__)

# 1013 "Try Again Later": the client should reconnect, then catch up with changes(since:).
SLOW_CONSUMER_CLOSE_CODE = 1013


@asynccontextmanager
async def live_stream(info: Info) -> AsyncIterator[AsyncIterator[Change]]:
    """Registered for changes on entry, so work done before iterating (loading what to
    watch) misses nothing: events wait in the subscriber's bounded queue meanwhile."""
    context = info.context
    async with context.state.live.subscribe() as subscription:
        yield _changes(context, subscription)


async def live_changes(info: Info) -> AsyncIterator[Change]:
    async with live_stream(info) as changes:
        async for change in changes:
            yield change


async def _prime(context: Context, change: Change) -> None:
    """Hand the subscriber's loaders the event's records, read once for the whole process,
    as this subscriber may see them, and the policy stamp read with them: the event is
    judged by the policies in force when the process received it."""
    reads = await context.state.live_reads.records(change)
    context.policy_stamp = reads.policy_stamp
    access = await context.access()
    if reads.entities:
        ids = list(reads.entities)
        shown = access.present_entities([reads.entities[key] for key in ids])
        context.loaders(EntityLoaders).entity_by_id.prime_many(dict(zip(ids, shown, strict=True)))
    if reads.relationships:
        context.loaders(EntityLoaders).relationship_by_id.prime_many(reads.relationships)
    if reads.datasets:
        keys = list(reads.datasets)
        datasets = access.present_datasets([reads.datasets[key] for key in keys])
        context.loaders(DatasetLoaders).dataset_by_id.prime_many(
            dict(zip(keys, datasets, strict=True))
        )
    if reads.jobs:
        keys = list(reads.jobs)
        jobs = access.present_jobs([reads.jobs[key] for key in keys])
        context.loaders(DatasetLoaders).job_by_id.prime_many(dict(zip(keys, jobs, strict=True)))


async def _changes(context: Context, subscription: LiveSubscription) -> AsyncIterator[Change]:
    organization_id = context.scope.organization_id
    try:
        async for change in subscription.changes():
            if change.organization_id != organization_id:
                continue
            await context.ensure_credential()
            # A subscription's context lives as long as the subscription: cached loaders
            # would serve what the previous event saw, and policies may have changed since.
            context.refresh_loaders()
            await _prime(context, change)
            # One check for every subscription: a subscriber never learns about an object it
            # may not read.
            if not await visible_changes(context, [change]):
                continue
            yield change
    except SlowConsumer:
        log.warning("disconnecting a slow subscriber")
        await context.close(SLOW_CONSUMER_CLOSE_CODE, "slow consumer: reconnect and catch up")
        raise

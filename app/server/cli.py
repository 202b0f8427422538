"""The `nexus` command: serve, migrate, seed, and graph maintenance."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from app.core.settings import Settings

if TYPE_CHECKING:
    from app.projection.rebuild import RebuildReport

T = TypeVar("T")

cli = typer.Typer(
    name="nexus",
    help="Nexus Graph: a GraphQL knowledge graph over Neo4j, Postgres and Redis.",
    no_args_is_help=True,
    add_completion=False,
)
graph_cli = typer.Typer(help="Maintain the Neo4j graph, which is rebuilt from Postgres.")
cli.add_typer(graph_cli, name="graph")

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def say(message: str) -> None:
    typer.echo(message, err=True)


class ProgressLine:
    """A progress line on stderr: rewritten in place on a terminal, printed every few
    seconds otherwise (logs and CI), so long commands always show they are moving."""

    def __init__(self, every: float = 5.0) -> None:
        self.tty = sys.stderr.isatty()
        self.every, self.last, self.open = every, 0.0, False

    def tick(self, label: str, done: int, total: int, elapsed: float) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < self.every:
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        share = f"/{total:,} ({min(100, 100 * done // total)}%)" if total else ""
        message = f"  {label}: {done:,}{share}, {rate:,.0f}/s"
        if self.tty:
            sys.stderr.write(f"\r\x1b[2K{message}")
            sys.stderr.flush()
            self.open = True
        else:
            say(message)

    def finish(self, message: str) -> None:
        if self.open:
            sys.stderr.write("\r\x1b[2K")
            self.open = False
        say(message)


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    settings = Settings()
    try:
        return asyncio.run(work(settings))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: NEXUS_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: NEXUS_PORT.")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: NEXUS_WORKERS.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
) -> None:
    """Serve the GraphQL API (and GraphiQL outside production)."""
    import uvicorn

    settings = Settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    if settings.graphiql_enabled:
        say(f"GraphiQL: http://{bind_host}:{bind_port}/graphql")
    uvicorn.run(
        "app.server.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        reload=reload,
        access_log=False,
        log_config=None,
        ws_ping_interval=20,
        lifespan="on",
    )


@cli.command()
def migrate() -> None:
    """Apply Postgres migrations and Neo4j constraints (idempotent)."""
    from alembic import command
    from alembic.config import Config

    settings = Settings()
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = settings.database_url.get_secret_value()
    say("postgres: applying migrations ...")
    command.upgrade(config, "head")
    say("postgres: at head")

    async def constraints(settings: Settings) -> list[str]:
        from graph.driver import create_graph
        from graph.schema import apply_constraints

        graph = create_graph(settings)
        try:
            return await apply_constraints(graph)
        finally:
            await graph.driver.close()

    say("neo4j: applying constraints and indexes ...")
    applied = _run(constraints)
    say(f"neo4j: {len(applied)} constraints and indexes in place")


@cli.command()
def seed() -> None:
    """Load the demo knowledge graph and lineage through the normal write paths (idempotent)."""

    async def work(settings: Settings) -> None:
        from app.core.scope import Scope
        from app.demo.seed import seed_demo_graph, seed_demo_lineage
        from app.server.lifespan import close_state, open_state

        state = await open_state(settings)
        try:
            started = time.perf_counter()
            entities, relationships = await seed_demo_graph(
                state.sessions, scope=Scope.system("seed"), progress=lambda m: say(f"seed: {m}")
            )
            say(f"seed: created {entities} entities and {relationships} relationships")
            if settings.env != "production":
                from app.demo.seed import DEV_USER_EMAIL, DEV_USER_PASSWORD
                from app.identity.users import ensure_admin

                await ensure_admin(
                    state.sessions,
                    email=DEV_USER_EMAIL,
                    password=DEV_USER_PASSWORD,
                    organization_slug="default",
                    display_name="Development admin",
                )
                say(f"seed: development user {DEV_USER_EMAIL} / {DEV_USER_PASSWORD} (admin)")
            accepted, known = await seed_demo_lineage(
                state.sessions, scope=Scope.system("seed"), progress=lambda m: say(f"seed: {m}")
            )
            say(f"seed: ingested {accepted} OpenLineage events ({known} already known)")
            say("seed: projecting into the graph ...")
            projected = await state.projector.drain()
            elapsed = time.perf_counter() - started
            say(f"seed: {projected} graph changes applied; done in {elapsed:.1f}s")
        finally:
            await close_state(state)

    _run(work)


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's email (their login).")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="At least 12 characters.")
    ],
    organization: Annotated[
        str, typer.Option(help="Organisation slug; created when it does not exist.")
    ] = "default",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Bootstrap an admin of an organisation (idempotent: an existing user becomes admin)."""

    async def work(settings: Settings) -> tuple[bool, str]:
        from app.core.db import create_engine, create_session_factory
        from app.identity.users import ensure_admin

        engine = create_engine(settings)
        try:
            _, org, created = await ensure_admin(
                create_session_factory(engine),
                email=email,
                password=password,
                organization_slug=organization,
                display_name=name,
            )
            return created, org.slug
        finally:
            await engine.dispose()

    from app.core.errors import NexusError

    try:
        created, slug = _run(work)
    except NexusError as exc:
        say(f"create-admin: {exc.message}")
        raise typer.Exit(2) from None
    verb = "created" if created else "already existed; made"
    say(f"create-admin: {email} {verb} admin of organisation {slug!r}")


@cli.command("print-schema")
def print_schema() -> None:
    """Print the GraphQL SDL (what schema.graphql holds)."""
    from resolvers.schema import build_schema

    sys.stdout.write(build_schema(Settings()).as_str() + "\n")


@cli.command()
def config() -> None:
    """Show the effective settings, secrets masked."""
    for key, value in Settings().redacted().items():
        typer.echo(f"{key} = {value}")


@graph_cli.command("rebuild")
def graph_rebuild(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 5_000,
) -> None:
    """Empty Neo4j and replay every record from Postgres into it."""
    if not yes and not typer.confirm("This empties the Neo4j database first. Continue?"):
        raise typer.Exit(1)

    async def work(settings: Settings) -> RebuildReport:
        from app.core.db import create_engine, create_session_factory
        from app.projection.rebuild import rebuild_graph
        from app.server.domains import PROJECTIONS
        from graph.driver import create_graph

        engine, graph = create_engine(settings), create_graph(settings)
        try:
            return await rebuild_graph(
                create_session_factory(engine),
                graph,
                PROJECTIONS,
                batch_size=batch_size,
                progress=lambda m: line.finish(f"rebuild: {m}"),
                ticker=line.tick,
            )
        finally:
            await graph.driver.close()
            await engine.dispose()

    line = ProgressLine()
    started = time.perf_counter()
    report = _run(work)
    elapsed = time.perf_counter() - started
    rate = report.rows / elapsed if elapsed else 0.0
    say(
        f"rebuild: {report.count('entities'):,} entities, "
        f"{report.count('relationships'):,} relationships, {report.count('datasets'):,} "
        f"datasets, {report.count('jobs'):,} jobs; {report.rows:,} rows in {elapsed:.1f}s "
        f"({rate:,.0f} rows/s); the graph has {report.graph_nodes:,} nodes and "
        f"{report.graph_relationships:,} relationships "
        f"({report.graph_relationships / elapsed if elapsed else 0:,.0f} relationships/s)"
    )


@graph_cli.command("verify")
def graph_verify(
    show: Annotated[int, typer.Option(help="How many ids to list per difference.")] = 10,
) -> None:
    """Compare Postgres with Neo4j; exit 1 when they differ."""

    async def work(settings: Settings) -> object:
        from app.core.db import create_engine, create_session_factory
        from app.projection.verify import verify_graph
        from app.server.domains import PROJECTIONS
        from graph.driver import create_graph

        engine, graph = create_engine(settings), create_graph(settings)
        try:
            return await verify_graph(create_session_factory(engine), graph, PROJECTIONS)
        finally:
            await graph.driver.close()
            await engine.dispose()

    from app.projection.verify import Differences

    diff = _run(work)
    assert isinstance(diff, Differences)
    checked = ", ".join(f"{kind.checked} {kind.noun}" for kind in diff.kinds)
    typer.echo(f"checked {checked}; {diff.pending_events} events waiting for projection")
    for kind in diff.kinds:
        for label, ids in kind.lines():
            if ids:
                typer.echo(f"{len(ids)} {label}: {', '.join(ids[:show])}")
    if diff.clean:
        typer.echo("graph matches postgres")
        return
    typer.echo("graph differs from postgres (run `nexus graph rebuild` to repair)")
    raise typer.Exit(1)


@graph_cli.command("project")
def graph_project() -> None:
    """Apply every pending outbox event to the graph now."""

    async def work(settings: Settings) -> int:
        from app.server.lifespan import close_state, open_state

        state = await open_state(settings)
        try:
            return await state.projector.drain()
        finally:
            await close_state(state)

    say(f"project: {_run(work)} events applied")


def main() -> None:
    cli()

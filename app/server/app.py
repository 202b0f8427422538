"""The ASGI application: its routes, and the lifespan that owns the process's resources.

`nexus serve` runs `create_app` under uvicorn (`app.server.cli`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from app.core.logging import configure_logging
from app.core.settings import Settings
from app.server.access_log import AccessLog
from app.server.graphql import GraphQLApp
from app.server.health import healthz, readyz
from app.server.lifespan import lifespan
from app.server.metrics import metrics_endpoint
from app.server.openlineage import routes as openlineage_routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)

    graphql = GraphQLApp(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *openlineage_routes,
        ],
        lifespan=lifespan(settings),
    )
    return AccessLog(app)  # type: ignore[return-value]

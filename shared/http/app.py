"""The FastAPI application shell shared by the services, and the process entry point."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import uvicorn
from fastapi import APIRouter, FastAPI

from shared.auth import TokenService
from shared.http.errors import install_error_handlers
from shared.http.limits import BodySizeLimit
from shared.http.probes import probes_router
from shared.logging import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


def service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    uploads: Sequence[tuple[str, int]] = (),
) -> FastAPI:
    """An app whose lifespan runs `runtime` and that serves the probes plus `routers`.

    Request bodies are capped by the settings' `max_request_body_bytes`, except on the upload
    routes of `uploads` (path regex, cap)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan() as resources:
            app.state.resources = resources
            yield

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(
        BodySizeLimit, max_bytes=runtime.settings.max_request_body_bytes, uploads=uploads
    )
    install_error_handlers(app)
    app.state.runtime = runtime
    app.state.tokens = TokenService(runtime.settings.token_signing_key.get_secret_value())
    app.include_router(probes_router(runtime.readiness_checks, runtime.registry))
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app until SIGINT/SIGTERM, with the project's JSON logging."""
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )

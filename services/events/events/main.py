"""Composition root of the events service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from events import ui
from events.app.operators import CatalogOptions
from events.app.schools import Policy
from events.domain.territories import territory
from events.entrypoints import academie_api, directory_api, resolution_api, settings_api
from events.entrypoints.api import install_error_handlers, router
from events.entrypoints.handlers import handlers
from events.settings import EventsSettings
from shared.http.app import service_app
from shared.operators.base import AdapterRegistry
from shared.operators.http import build_operator_client
from shared.operators.registry import default_registry
from shared.runtime import ServiceRuntime
from shared.settings import Profile

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


# The routes that take files (SIECLE exports, CSV): their cap is the import limit, checked by each
# route with its own message; the envelope of a multipart form gets some room on top.
UPLOAD_ROUTES = (
    r"^/api/v1/schools/[^/]+/imports/(siecle|csv)$",
    r"^/api/v1/academie/schools/import$",
    r"^/e/[^/]+/eleves/import$",
    r"^/academie/import$",
)


def upload_cap(settings: EventsSettings) -> int:
    return settings.import_max_bytes * 2 + 64 * 1024


def catalog_options(settings: EventsSettings) -> CatalogOptions:
    return CatalogOptions(
        allow_simulator=settings.simulator_allowed,
        simulator_base_url=settings.simulator_base_url,
        require_https=settings.profile is Profile.PRODUCTION,
    )


def operator_adapters(
    settings: EventsSettings,
) -> tuple[AdapterRegistry, Callable[[], Awaitable[Any]]]:
    """The adapters "Tester" calls through, and the closer of their HTTP client."""
    client = build_operator_client(
        settings.operator_http(read_timeout_s=settings.operator_timeout_s)
    )
    registry = default_registry(client, allow_simulator=settings.simulator_allowed)
    return registry, client.aclose


def build_app(settings: EventsSettings | None = None) -> FastAPI:
    """The events application: its runtime (database, outbox relay, consumers) and its API."""
    settings = settings or EventsSettings()
    runtime = ServiceRuntime(
        settings,
        service="events",
        migrations=MIGRATIONS,
        handlers=handlers,
        kafka_in_readiness=False,
    )
    app = service_app(
        runtime,
        title="events",
        uploads=[(pattern, upload_cap(settings)) for pattern in UPLOAD_ROUTES],
        routers=[
            settings_api.router,
            academie_api.router,
            directory_api.router,
            resolution_api.router,
            router,
        ],
    )
    app.state.settings = settings
    app.state.catalog_options = catalog_options(settings)
    app.state.operator_adapters_factory = partial(operator_adapters, settings)
    app.state.policy = Policy(
        default_territory=territory(settings.default_territory).code,
        enabled_on_creation=settings.schools_enabled_on_creation,
    )
    app.state.import_max_bytes = settings.import_max_bytes
    install_error_handlers(app)
    ui.install(app, settings)
    return app

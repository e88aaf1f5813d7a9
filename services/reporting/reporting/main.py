"""Composition root of the reporting service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from reporting.entrypoints.academie_http import academie_router
from reporting.entrypoints.consumers import reporting_handlers
from reporting.entrypoints.errors import request_validation_error
from reporting.entrypoints.http import router
from reporting.entrypoints.metrics import ops_metrics_loops
from reporting.settings import ReportingSettings
from shared.http.app import service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CONSUMER_GROUP = "reporting"


def build_runtime(settings: ReportingSettings) -> ServiceRuntime:
    """Database, outbox relay and the consumer of the four SMS topics."""
    return ServiceRuntime(
        settings,
        service="reporting",
        migrations=MIGRATIONS,
        consumer_group=CONSUMER_GROUP,
        handlers=reporting_handlers,
        kafka_in_readiness=False,
        background=lambda resources: ops_metrics_loops(resources, settings),
    )


def build_app(settings: ReportingSettings | None = None) -> FastAPI:
    """The reporting application: its runtime (database, outbox relay, consumers) and its routes."""
    settings = settings or ReportingSettings()
    app = service_app(
        build_runtime(settings),
        title="the SMS follow-up lists and the synthesis",
        routers=[router, academie_router],
    )
    app.add_exception_handler(RequestValidationError, request_validation_error)
    return app

"""Composition root of the status-poller service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.http.app import service_app
from shared.runtime import ServiceRuntime
from status_poller.settings import StatusPollerSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def build_app(settings: StatusPollerSettings | None = None) -> FastAPI:
    """The status-poller application: its runtime (database, relay, consumers), its routes."""
    settings = settings or StatusPollerSettings()
    runtime = ServiceRuntime(
        settings,
        service="status-poller",
        migrations=MIGRATIONS,
        kafka_in_readiness=True,
    )
    return service_app(runtime, title="follows the delivery state of every SMS")

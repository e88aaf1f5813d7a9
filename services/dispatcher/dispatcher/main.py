"""Composition root of the dispatcher service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from dispatcher.settings import DispatcherSettings
from shared.http.app import service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def build_app(settings: DispatcherSettings | None = None) -> FastAPI:
    """The dispatcher application: its runtime (database, outbox relay, consumers), its routes."""
    settings = settings or DispatcherSettings()
    runtime = ServiceRuntime(
        settings,
        service="dispatcher",
        migrations=MIGRATIONS,
        kafka_in_readiness=True,
    )
    return service_app(runtime, title="sends every SMS to the school's operator")

"""Composition root of the events service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from events.settings import EventsSettings
from shared.http.app import service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def build_app(settings: EventsSettings | None = None) -> FastAPI:
    """The events application: its runtime (database, outbox relay, consumers) and its routes."""
    settings = settings or EventsSettings()
    runtime = ServiceRuntime(
        settings,
        service="events",
        migrations=MIGRATIONS,
        kafka_in_readiness=False,
    )
    return service_app(runtime, title="absences, SMS actions and the SMS queue")

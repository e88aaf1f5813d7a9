"""Composition root of the reporting service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from reporting.settings import ReportingSettings
from shared.http.app import service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def build_app(settings: ReportingSettings | None = None) -> FastAPI:
    """The reporting application: its runtime (database, outbox relay, consumers) and its routes."""
    settings = settings or ReportingSettings()
    runtime = ServiceRuntime(
        settings,
        service="reporting",
        migrations=MIGRATIONS,
        kafka_in_readiness=False,
    )
    return service_app(runtime, title="the SMS follow-up lists and the synthesis")

"""Composition root of the dispatcher service."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from dispatcher.adapters.metrics import SenderMetrics
from dispatcher.app.sending import Sender, SenderConfig
from dispatcher.entrypoints.handlers import handlers
from dispatcher.settings import DispatcherSettings
from shared.http.app import service_app
from shared.operators.accounts import ACCOUNTS_MIGRATIONS
from shared.operators.base import AdapterRegistry
from shared.operators.http import build_operator_client
from shared.operators.registry import default_registry
from shared.runtime import Resources, ServiceRuntime
from shared.settings import Profile

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def build_app(settings: DispatcherSettings | None = None) -> FastAPI:
    """The dispatcher application: consumers, the sender loop, probes and metrics."""
    settings = settings or DispatcherSettings()
    runtime = ServiceRuntime(
        settings,
        service="dispatcher",
        migrations=MIGRATIONS,
        handlers=handlers,
        kafka_in_readiness=True,
        extra_migrations=[ACCOUNTS_MIGRATIONS],
        background=lambda resources: [_sender_loop(settings, resources)],
    )
    return service_app(runtime, title="dispatcher")


def _sender_loop(
    settings: DispatcherSettings, resources: Resources
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run() -> None:
        http = settings.operator_http(read_timeout_s=settings.operator_timeout_s)
        async with build_operator_client(http) as client:
            sender = Sender(
                resources.pool,
                registry(client, allow_simulator=settings.profile is not Profile.PRODUCTION),
                resources.box,
                resources.relay,
                SenderConfig(
                    claim_limit=settings.sender_claim_limit,
                    concurrency=settings.sender_concurrency,
                    tick_s=settings.sender_tick_s,
                    max_queue_age_s=settings.max_queue_age_s,
                    retry_base_s=settings.retry_base_s,
                    retry_max_s=settings.retry_max_s,
                    sending_timeout_s=settings.sending_timeout_s,
                    no_provider_wait_s=settings.no_provider_wait_s,
                    circuit_threshold=settings.circuit_threshold,
                    circuit_cooldown_s=settings.circuit_cooldown_s,
                    health_interval_s=settings.health_interval_s,
                ),
                SenderMetrics(resources.registry),
            )
            resources.extras["sender"] = sender
            await sender.run()

    return run


def registry(client: httpx.AsyncClient, *, allow_simulator: bool = True) -> AdapterRegistry:
    """The operator dialects this build speaks (the simulator outside production only)."""
    return default_registry(client, allow_simulator=allow_simulator)


__all__: Sequence[str] = ["build_app", "registry"]

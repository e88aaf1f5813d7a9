"""Composition root of the status-poller service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from shared.contracts import utc_now
from shared.http.app import service_app
from shared.kafka.consumer import BatchHandler
from shared.operators.accounts import ACCOUNTS_MIGRATIONS
from shared.operators.base import AdapterRegistry
from shared.operators.http import build_operator_client
from shared.operators.registry import default_registry
from shared.runtime import LoopFactory, Resources, ServiceRuntime
from shared.settings import Profile
from status_poller.adapters.metrics import PollerMetrics
from status_poller.app.polling import PollerConfig, StatusPoller
from status_poller.app.receipts import ReceiptDesk
from status_poller.app.tracking import Tracker
from status_poller.domain.clock import Clock
from status_poller.domain.receipts import parse_networks
from status_poller.domain.schedule import PollPolicy
from status_poller.entrypoints.consumers import handlers
from status_poller.entrypoints.receipts import RECEIPTS_KEY
from status_poller.entrypoints.receipts import router as receipts_router
from status_poller.settings import StatusPollerSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_EXTRAS_KEY = "status_poller"


def poll_policy(settings: StatusPollerSettings) -> PollPolicy:
    return PollPolicy(
        interval=timedelta(seconds=settings.poll_interval_s),
        backoff_after=timedelta(seconds=settings.poll_backoff_after_s),
        max_interval=timedelta(seconds=settings.poll_max_interval_s),
        validity=timedelta(hours=settings.validity_hours),
        retry_after_failure=timedelta(seconds=settings.poll_retry_s),
        late_interval=timedelta(seconds=settings.late_poll_interval_s),
        late_window=timedelta(hours=settings.late_tracking_hours),
    )


def poller_config(settings: StatusPollerSettings) -> PollerConfig:
    return PollerConfig(
        tick=timedelta(seconds=settings.poll_tick_s),
        claim_limit=settings.poll_claim_limit,
        concurrency=settings.poll_concurrency,
        lease=timedelta(seconds=settings.poll_lease_s),
        call_timeout=timedelta(seconds=settings.poll_call_timeout_s),
        early_receipt_retention=timedelta(hours=settings.early_receipt_retention_h),
    )


@dataclass
class _Parts:
    """What one run of the lifespan composed."""

    tracker: Tracker
    poller: StatusPoller
    receipts: ReceiptDesk


class _Composition:
    """Builds the service's parts once per lifespan, from the runtime's resources.

    The runtime calls `handlers` first, then `background`; both get the same parts. Metrics are
    registered once per application (a lifespan may run more than once in tests).
    """

    def __init__(
        self, settings: StatusPollerSettings, adapters: AdapterRegistry | None, clock: Clock
    ) -> None:
        self._settings = settings
        self._adapters = adapters
        self._clock = clock
        self._metrics: PollerMetrics | None = None

    def handlers(self, resources: Resources) -> Mapping[str, BatchHandler]:
        return handlers(self._parts(resources).tracker)

    def background(self, resources: Resources) -> Sequence[LoopFactory]:
        parts = self._parts(resources)
        return [parts.poller.run]

    def _parts(self, resources: Resources) -> _Parts:
        parts = resources.extras.get(_EXTRAS_KEY)
        if isinstance(parts, _Parts):
            return parts
        if self._metrics is None:
            self._metrics = PollerMetrics(resources.registry)
        client: httpx.AsyncClient | None = None
        adapters = self._adapters
        if adapters is None:
            settings = self._settings
            client = build_operator_client(
                settings.operator_http(read_timeout_s=settings.operator_http_timeout_s)
            )
            resources.on_shutdown.append(client.aclose)
            adapters = default_registry(
                client, allow_simulator=settings.profile is not Profile.PRODUCTION
            )
        policy = poll_policy(self._settings)
        parts = _Parts(
            tracker=Tracker(
                adapters=adapters,
                policy=policy,
                metrics=self._metrics,
                refresh_interval=timedelta(seconds=self._settings.refresh_min_interval_s),
                clock=self._clock,
            ),
            poller=StatusPoller(
                pool=resources.pool,
                box=resources.box,
                adapters=adapters,
                policy=policy,
                config=poller_config(self._settings),
                metrics=self._metrics,
                clock=self._clock,
            ),
            receipts=ReceiptDesk(
                pool=resources.pool,
                box=resources.box,
                adapters=adapters,
                policy=policy,
                metrics=self._metrics,
                allowed_sources=parse_networks(self._settings.receipt_allowed_sources),
                clock=self._clock,
            ),
        )
        resources.extras[_EXTRAS_KEY] = parts
        resources.extras[RECEIPTS_KEY] = parts.receipts
        return parts


def build_app(
    settings: StatusPollerSettings | None = None,
    *,
    adapters: AdapterRegistry | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """The status-poller application: its runtime (database, relay, consumers, polling loop)
    and the receipts webhook.

    `adapters` replaces the operator adapters (tests register fakes under their own dialects);
    by default the process gets every dialect's adapter over one shared HTTP client. `clock`
    replaces the time the polling rhythm, the validity window and the refresh limit read.
    """
    settings = settings or StatusPollerSettings()
    composition = _Composition(settings, adapters, clock)
    runtime = ServiceRuntime(
        settings,
        service="status-poller",
        migrations=MIGRATIONS,
        consumer_group="status-poller",
        handlers=composition.handlers,
        kafka_in_readiness=True,
        extra_migrations=[ACCOUNTS_MIGRATIONS],
        background=composition.background,
    )
    return service_app(
        runtime, title="follows the delivery state of every SMS", routers=[receipts_router]
    )

"""The status-poller's Prometheus metrics, on the runtime's registry."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from status_poller.domain.lifecycle import TrackedSms

SERVICE = "status-poller"


class PollerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._polls = Counter(
            "sms_status_polls_total",
            "Status requests made to operators, by dialect and outcome.",
            ["service", "dialect", "outcome"],
            registry=registry,
        )
        self._polled_sms = Counter(
            "sms_status_polled_sms_total",
            "SMS whose status was asked of an operator.",
            ["service", "dialect"],
            registry=registry,
        )
        self._changes = Counter(
            "sms_status_changes_total",
            "Delivery state changes published on sms.status.v1, by new state.",
            ["service", "state", "own_verdict"],
            registry=registry,
        )
        self._due = Gauge(
            "sms_status_rows_due",
            "Tracked SMS whose next look is due now (all schools).",
            ["service"],
            registry=registry,
        )
        self._latency = Histogram(
            "sms_status_poll_seconds",
            "Duration of one status request to an operator.",
            ["service", "dialect"],
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )

    def polled(self, dialect: str, outcome: str, sms_count: int, seconds: float) -> None:
        self._polls.labels(SERVICE, dialect, outcome).inc()
        self._polled_sms.labels(SERVICE, dialect).inc(sms_count)
        self._latency.labels(SERVICE, dialect).observe(seconds)

    def changed(self, changes: Iterable[TrackedSms]) -> None:
        for sms in changes:
            self._changes.labels(SERVICE, sms.state.value, str(sms.own_verdict).lower()).inc()

    def due(self, count: int) -> None:
        self._due.labels(SERVICE).set(count)

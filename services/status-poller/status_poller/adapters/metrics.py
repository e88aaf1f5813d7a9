"""The status-poller's Prometheus metrics, on the runtime's registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from status_poller.domain.lifecycle import TrackedSms

SERVICE = "status-poller"

# Submission to final state: seconds (a delivered SMS) to days (an expiry verdict, a late answer).
_FINAL_BUCKETS = (
    5,
    15,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    4 * 3600,
    12 * 3600,
    48 * 3600,
    7 * 86400,
)
_CYCLE_SIZE_BUCKETS = (1, 5, 10, 50, 100, 500, 1000, 2000, 5000)


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
            "Delivery state transitions published on sms.status.v1, by new state and operator.",
            ["service", "state", "own_verdict", "operator"],
            registry=registry,
        )
        self._due = Gauge(
            "sms_status_rows_due",
            "Tracked SMS whose next look is due now (all schools).",
            ["service"],
            registry=registry,
        )
        self._waiting = Gauge(
            "sms_status_in_transit",
            "SMS en transit or pris en charge, awaiting a final answer (all schools).",
            ["service"],
            registry=registry,
        )
        self._oldest = Gauge(
            "sms_status_oldest_in_transit_seconds",
            "Age of the oldest SMS still awaiting a final answer (0 when none).",
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
        self._to_final = Histogram(
            "sms_status_submission_to_final_seconds",
            "Time from the operator's acceptance of an SMS to its final state.",
            ["service", "state"],
            registry=registry,
            buckets=_FINAL_BUCKETS,
        )
        self._cycle_seconds = Histogram(
            "sms_status_poll_cycle_seconds",
            "Duration of one school's poll cycle: asking its operator and recording the answers.",
            ["service"],
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self._cycle_size = Histogram(
            "sms_status_poll_cycle_sms",
            "SMS taken by one claim of due rows.",
            ["service"],
            registry=registry,
            buckets=_CYCLE_SIZE_BUCKETS,
        )
        self._receipts = Counter(
            "sms_status_receipts_total",
            "Delivery receipts received on the webhook, by dialect, outcome and refusal reason.",
            ["service", "dialect", "outcome", "reason"],
            registry=registry,
        )

    def polled(self, dialect: str, outcome: str, sms_count: int, seconds: float) -> None:
        self._polls.labels(SERVICE, dialect, outcome).inc()
        self._polled_sms.labels(SERVICE, dialect).inc(sms_count)
        self._latency.labels(SERVICE, dialect).observe(seconds)

    def changed(self, changes: Iterable[TrackedSms]) -> None:
        for sms in changes:
            operator = sms.provider_code or "none"
            self._changes.labels(
                SERVICE, sms.state.value, str(sms.own_verdict).lower(), operator
            ).inc()
            if sms.state.is_final and sms.submitted_at is not None:
                seconds = (sms.changed_at - sms.submitted_at).total_seconds()
                self._to_final.labels(SERVICE, sms.state.value).observe(max(seconds, 0.0))

    def overview(self, due: int, waiting: int, oldest: datetime | None, now: datetime) -> None:
        self._due.labels(SERVICE).set(due)
        self._waiting.labels(SERVICE).set(waiting)
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        self._oldest.labels(SERVICE).set(max(age, 0.0))

    def claimed(self, count: int) -> None:
        self._cycle_size.labels(SERVICE).observe(count)

    def cycle(self, seconds: float) -> None:
        self._cycle_seconds.labels(SERVICE).observe(seconds)

    def receipt(self, dialect: str, outcome: str, reason: str = "") -> None:
        self._receipts.labels(SERVICE, dialect, outcome, reason).inc()

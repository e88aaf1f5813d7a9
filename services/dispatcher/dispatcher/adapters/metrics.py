"""The dispatcher's Prometheus metrics, on the runtime's registry (no per-school labels)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

SERVICE = "dispatcher"
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
# Schools by how many SMS they have waiting: bounded buckets instead of one series per school.
WAITING_BUCKETS = ((1, "1-9"), (10, "10-99"), (100, "100-999"), (1000, "1000+"))


def waiting_bucket(count: int) -> str:
    label = WAITING_BUCKETS[0][1]
    for floor, name in WAITING_BUCKETS:
        if count >= floor:
            label = name
    return label


class SenderMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._submitted = Counter(
            "sms_dispatcher_submitted_total",
            "SMS accepted by an operator (or left unconfirmed), by operator and state.",
            ["service", "operator", "state"],
            registry=registry,
        )
        self._failed = Counter(
            "sms_dispatcher_failed_total",
            "SMS that will not be sent, by operator and reason.",
            ["service", "operator", "reason"],
            registry=registry,
        )
        self._retries = Counter(
            "sms_dispatcher_retries_total",
            "SMS put back in the queue after a transient failure, by operator.",
            ["service", "operator"],
            registry=registry,
        )
        self._latency = Histogram(
            "sms_dispatcher_operator_request_seconds",
            "Duration of send requests to operators, by dialect and outcome.",
            ["service", "dialect", "outcome"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self._circuits = Gauge(
            "sms_dispatcher_circuits",
            "Operator accounts by circuit state (closed, half_open, open).",
            ["service", "state"],
            registry=registry,
        )
        self._schools_waiting = Gauge(
            "sms_dispatcher_schools_waiting",
            "Schools with SMS waiting, by how many they have waiting.",
            ["service", "waiting"],
            registry=registry,
        )
        self._waiting = Gauge(
            "sms_dispatcher_sms_waiting",
            "SMS queued or being sent (all schools).",
            ["service"],
            registry=registry,
        )
        self._oldest = Gauge(
            "sms_dispatcher_oldest_waiting_seconds",
            "Age of the oldest SMS still waiting to be sent.",
            ["service"],
            registry=registry,
        )

    def submitted(self, operator: str, state: str, count: int = 1) -> None:
        if count:
            self._submitted.labels(SERVICE, operator or "none", state).inc(count)

    def failed(self, operator: str, reason: str, count: int = 1) -> None:
        if count:
            self._failed.labels(SERVICE, operator or "none", reason).inc(count)

    def retried(self, operator: str, count: int) -> None:
        if count:
            self._retries.labels(SERVICE, operator or "none").inc(count)

    def request(self, dialect: str, outcome: str, seconds: float) -> None:
        self._latency.labels(SERVICE, dialect, outcome).observe(seconds)

    def circuits(self, states: Mapping[str, int]) -> None:
        for state in CIRCUIT_VALUES:
            self._circuits.labels(SERVICE, state).set(states.get(state, 0))

    def waiting(self, by_school: Mapping[str, int], oldest_age_s: float) -> None:
        buckets = dict.fromkeys((name for _, name in WAITING_BUCKETS), 0)
        for count in by_school.values():
            if count > 0:
                buckets[waiting_bucket(count)] += 1
        for name, schools in buckets.items():
            self._schools_waiting.labels(SERVICE, name).set(schools)
        self._waiting.labels(SERVICE).set(sum(by_school.values()))
        self._oldest.labels(SERVICE).set(oldest_age_s)

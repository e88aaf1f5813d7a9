"""The business metrics on `/metrics`: a collector showing the latest sample, and the loop that
takes samples.

The figures come from counter tables every reporting replica shares, so each replica shows the
same académie-wide values: dashboards take `max` across replicas, never `sum`. Labels are the
operator, the state, the reason code and the dead-letter topic; never a school, a pupil or a
phone number.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from reporting.adapters.dead_letter_sizes import DeadLetterSizes
from reporting.app.ops_metrics import sample_ops_metrics
from reporting.domain.ops_metrics import LATENCY_BUCKETS, OpsSnapshot
from reporting.settings import ReportingSettings
from shared.kafka.errors import summarize_error
from shared.runtime import LoopFactory, Resources
from shared.states import INVALID_OR_UNDELIVERED

log = logging.getLogger(__name__)

UNKNOWN_OPERATOR = "unknown"
_FAILURE_STATES = frozenset(s.value for s in INVALID_OR_UNDELIVERED)

#: Every metric this collector exports (the Grafana dashboard names them).
METRIC_NAMES = (
    "sms_by_state",
    "sms_state_reached_total",
    "sms_failures_total",
    "sms_delivery_ratio",
    "sms_time_to_delivery_seconds",
    "sms_stuck_in_transit",
    "sms_dead_letter_messages",
    "sms_reporting_sample_age_seconds",
)


def _operator(code: str) -> str:
    return code or UNKNOWN_OPERATOR


class OpsCollector(Collector):
    """Shows the latest `OpsSnapshot` (nothing before the first one)."""

    def __init__(self) -> None:
        self.snapshot: OpsSnapshot | None = None
        self.sampled_at: float | None = None

    def update(self, snapshot: OpsSnapshot) -> None:
        self.snapshot = snapshot
        self.sampled_at = time.monotonic()

    def describe(self) -> Iterator[Metric]:
        return iter(self._families(OpsSnapshot(), None))

    def collect(self) -> Iterator[Metric]:
        if self.snapshot is None or self.sampled_at is None:
            return iter(())
        return iter(self._families(self.snapshot, time.monotonic() - self.sampled_at))

    @staticmethod
    def _families(s: OpsSnapshot, age: float | None) -> list[Metric]:
        by_state = GaugeMetricFamily(
            "sms_by_state", "SMS in each state now, all schools.", labels=["operator", "state"]
        )
        reached = CounterMetricFamily(
            "sms_state_reached",
            "SMS that entered each state (rate = throughput), all schools.",
            labels=["operator", "state"],
        )
        failures = CounterMetricFamily(
            "sms_failures",
            "SMS that ended invalid, undelivered or failed, by reason code.",
            labels=["operator", "state", "reason"],
        )
        current: dict[tuple[str, str], int] = {}
        entered: dict[tuple[str, str], int] = {}
        for f in s.states:
            key = (_operator(f.operator), f.state)
            current[key] = current.get(key, 0) + f.current
            entered[key] = entered.get(key, 0) + f.reached
            if f.state in _FAILURE_STATES:
                failures.add_metric([*key, f.reason or "none"], f.reached)
        for key, value in sorted(current.items()):
            by_state.add_metric(list(key), value)
        for key, value in sorted(entered.items()):
            reached.add_metric(list(key), value)

        ratio = GaugeMetricFamily(
            "sms_delivery_ratio",
            "Delivered over SMS with an answer (delivered, undelivered, invalid, failed).",
            labels=["operator"],
        )
        stuck = GaugeMetricFamily(
            "sms_stuck_in_transit",
            "SMS en transit or pris en charge whose state has not moved for too long.",
            labels=["operator"],
        )
        for operator in s.operators:
            delivered_share = s.delivery_ratio(operator)
            if delivered_share is not None:
                ratio.add_metric([_operator(operator)], delivered_share)
            stuck.add_metric([_operator(operator)], s.stuck.get(operator, 0))

        latency = HistogramMetricFamily(
            "sms_time_to_delivery_seconds",
            "Time from Diffuser to the delivery report.",
            labels=["operator"],
        )
        for operator, buckets, total in _histograms(s):
            latency.add_metric([_operator(operator)], buckets, total)

        dead = GaugeMetricFamily(
            "sms_dead_letter_messages",
            "Messages held by each dead-letter topic.",
            labels=["topic"],
        )
        for topic, count in sorted(s.dead_letters.items()):
            dead.add_metric([topic], count)

        families: list[Metric] = [by_state, reached, failures, ratio, latency, stuck, dead]
        sample_age = GaugeMetricFamily(
            "sms_reporting_sample_age_seconds", "Age of the figures above (sampled periodically)."
        )
        if age is not None:
            sample_age.add_metric([], age)
        families.append(sample_age)
        return families


def _histograms(s: OpsSnapshot) -> list[tuple[str, list[tuple[str, float]], float]]:
    per_operator: dict[str, list[int]] = {}
    sums: dict[str, float] = {}
    for f in s.latencies:
        counts = per_operator.setdefault(f.operator, [0] * (len(LATENCY_BUCKETS) + 1))
        counts[min(f.bucket, len(LATENCY_BUCKETS))] += f.count
        sums[f.operator] = sums.get(f.operator, 0.0) + f.seconds
    result = []
    for operator, counts in sorted(per_operator.items()):
        bounds = [*(f"{b:g}" for b in LATENCY_BUCKETS), "+Inf"]
        cumulative, buckets = 0, []
        for bound, count in zip(bounds, counts, strict=True):
            cumulative += count
            buckets.append((bound, float(cumulative)))
        result.append((operator, buckets, sums[operator]))
    return result


def ops_metrics_loops(resources: Resources, settings: ReportingSettings) -> Sequence[LoopFactory]:
    """Register the collector and return the sampling loop (a background task of the runtime)."""
    collector = OpsCollector()
    resources.registry.register(collector)
    dead_letters = DeadLetterSizes(
        settings.kafka_bootstrap_servers,
        resources.naming,
        client_id=f"reporting-{settings.instance_id}-dlq-sizes",
    )
    resources.on_shutdown.append(dead_letters.stop)
    stuck_after = timedelta(seconds=settings.stuck_in_transit_after_s)

    async def sample_forever() -> None:
        held: dict[str, int] = {}
        while True:
            try:
                held = await dead_letters.sizes()
            except Exception as exc:  # the broker away: keep the last sizes, say so
                log.warning("dead-letter sizes not read", extra={"error": summarize_error(exc)})
            try:
                snapshot = await sample_ops_metrics(
                    resources.pool, stuck_after=stuck_after, dead_letters=held
                )
                collector.update(snapshot)
            except Exception as exc:
                log.warning("operations metrics not sampled", extra={"error": summarize_error(exc)})
            await asyncio.sleep(settings.metrics_interval_s)

    return [sample_forever]

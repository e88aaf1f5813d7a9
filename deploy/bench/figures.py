"""Turning the services' own timestamps into figures: percentiles, per-stage throughput, the
cumulative curves of the chart. Pure functions of numbers (seconds since the epoch)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0–100) by linear interpolation; None for no values."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    weight = rank - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def distribution(values: Iterable[float]) -> dict[str, Any]:
    """count, p50, p95, p99 and max of `values` (seconds), rounded to the millisecond."""
    ordered = sorted(values)
    figures: dict[str, Any] = {"count": len(ordered)}
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        value = percentile(ordered, q)
        figures[name] = None if value is None else round(value, 3)
    return figures


def latencies(
    ends: Mapping[Any, float], starts: Mapping[Any, float], school_of: Mapping[Any, str]
) -> list[float]:
    """For each SMS with an end time: end minus its school's start ("Diffuser" pressed)."""
    return [end - starts[school_of[sms]] for sms, end in ends.items() if sms in school_of]


def stage(
    name: str, service: str, source: str, times: Iterable[float], t0: float
) -> dict[str, Any]:
    """One stage of the pipeline from the moments it handled each SMS.

    `rate_span` is SMS/s between its first and last SMS; `rate_10_90` the same between the 10th
    and the 90th percentile of its moments (the steady pace, without ramp-up and stragglers);
    `done_s` when it handled its last SMS, counted from the first "Diffuser".
    """
    ordered = sorted(times)
    figures: dict[str, Any] = {
        "name": name,
        "service": service,
        "source": source,
        "count": len(ordered),
        "first_s": None,
        "done_s": None,
        "rate_span": None,
        "rate_10_90": None,
    }
    if not ordered:
        return figures
    figures["first_s"] = round(ordered[0] - t0, 3)
    figures["done_s"] = round(ordered[-1] - t0, 3)
    span = ordered[-1] - ordered[0]
    if span > 0:
        figures["rate_span"] = round(len(ordered) / span, 1)
    p10, p90 = percentile(ordered, 10), percentile(ordered, 90)
    if p10 is not None and p90 is not None and p90 > p10:
        figures["rate_10_90"] = round(0.8 * len(ordered) / (p90 - p10), 1)
    return figures


def curve(times: Iterable[float], t0: float, points: int = 120) -> list[list[float]]:
    """The cumulative count of SMS handled against seconds since `t0`, at most `points` points
    (enough for a chart; the last point is always the total)."""
    ordered = sorted(times)
    if not ordered:
        return []
    step = max(1, len(ordered) // points)
    picked = [[round(ordered[i] - t0, 3), i + 1] for i in range(step - 1, len(ordered), step)]
    if picked[-1][1] != len(ordered):
        picked.append([round(ordered[-1] - t0, 3), len(ordered)])
    return [[round(ordered[0] - t0, 3), 1], *picked] if picked[0][1] != 1 else picked


def per_thousand(total: float, count: int) -> float | None:
    return round(total * 1000 / count, 3) if count else None

"""What the operations dashboard counts, derived from the changes the read model makes.

Like the monthly counters, these move by the difference each merge makes to an SMS row, so a
replay changes nothing. Labels are the operator, the state and the reason code: never a school,
a pupil or a phone number.

- `current`: one per SMS in its present state (moves from the old state to the new one);
- `reached`: one each time an SMS enters a state (never decreases: throughput, failures);
- delivery times: one observation when an SMS is known both delivered and diffused.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from reporting.domain.tracking import TrackedSms
from shared.states import SmsState

#: Upper bounds (seconds) of the delivery-time histogram; a last bucket takes the rest.
LATENCY_BUCKETS: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 86400)

#: States that are an answer about delivery (the delivery ratio's denominator).
ANSWERED = frozenset({SmsState.DELIVERED, SmsState.UNDELIVERED, SmsState.INVALID, SmsState.FAILED})


@dataclass(frozen=True, order=True)
class StateKey:
    uai: str
    operator: str
    state: str
    reason: str


@dataclass(frozen=True)
class StateDelta:
    key: StateKey
    current: int
    reached: int


@dataclass(frozen=True, order=True)
class LatencyKey:
    uai: str
    operator: str
    bucket: int


@dataclass(frozen=True)
class LatencyDelta:
    key: LatencyKey
    count: int
    seconds: float


def state_key(row: TrackedSms) -> StateKey:
    return StateKey(row.uai, row.provider_code or "", row.state.value, row.reason_code or "")


def bucket_of(seconds: float) -> int:
    """The index of the first bucket whose upper bound holds `seconds`."""
    return bisect.bisect_left(LATENCY_BUCKETS, seconds)


def _delivery_seconds(row: TrackedSms | None) -> float | None:
    if row is None or row.state is not SmsState.DELIVERED or row.diffusion is None:
        return None
    return max(0.0, (row.state_changed_at - row.diffusion.diffused_at).total_seconds())


def state_deltas(changes: Iterable[tuple[TrackedSms | None, TrackedSms]]) -> list[StateDelta]:
    """The moves of the state counters, sorted by key (one lock order for every transaction)."""
    acc: dict[StateKey, list[int]] = {}
    for before, after in changes:
        if before is not None:
            acc.setdefault(state_key(before), [0, 0])[0] -= 1
        moved = acc.setdefault(state_key(after), [0, 0])
        moved[0] += 1
        if before is None or before.state is not after.state:
            moved[1] += 1
    return [StateDelta(k, c, r) for k, (c, r) in sorted(acc.items()) if c or r]


def latency_deltas(changes: Iterable[tuple[TrackedSms | None, TrackedSms]]) -> list[LatencyDelta]:
    """One observation per SMS that this change made known as delivered and diffused."""
    acc: dict[LatencyKey, list[float]] = {}
    for before, after in changes:
        seconds = _delivery_seconds(after)
        if seconds is None or _delivery_seconds(before) is not None:
            continue
        key = LatencyKey(after.uai, after.provider_code or "", bucket_of(seconds))
        slot = acc.setdefault(key, [0, 0.0])
        slot[0] += 1
        slot[1] += seconds
    return [LatencyDelta(k, int(n), s) for k, (n, s) in sorted(acc.items())]


@dataclass(frozen=True)
class StateFigure:
    operator: str
    state: str
    reason: str
    current: int
    reached: int


@dataclass(frozen=True)
class LatencyFigure:
    operator: str
    bucket: int
    count: int
    seconds: float


@dataclass(frozen=True)
class OpsSnapshot:
    """The académie-wide figures at one instant (what /metrics shows until the next sample)."""

    states: list[StateFigure] = field(default_factory=list)
    latencies: list[LatencyFigure] = field(default_factory=list)
    stuck: dict[str, int] = field(default_factory=dict)  # operator → SMS waiting too long
    dead_letters: dict[str, int] = field(default_factory=dict)  # DLQ topic → messages held

    @property
    def operators(self) -> list[str]:
        return sorted({s.operator for s in self.states} | set(self.stuck))

    def delivery_ratio(self, operator: str) -> float | None:
        """Delivered over SMS with an answer (delivered, undelivered, invalid, failed)."""
        answered = [s for s in self.states if s.operator == operator and s.state in ANSWERED]
        total = sum(s.current for s in answered)
        if not total:
            return None
        return sum(s.current for s in answered if s.state == SmsState.DELIVERED) / total

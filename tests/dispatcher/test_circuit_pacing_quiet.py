"""The pure rules of sending: the circuit breaker, pacing, quiet hours, when health is told."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from dispatcher.adapters.metrics import waiting_bucket
from dispatcher.app.health import SchoolHealth
from dispatcher.domain.circuit import Circuit
from dispatcher.domain.pacing import TokenBucket
from dispatcher.domain.quiet import parse_quiet_hours, quiet_until
from dispatcher.domain.reasons import OPERATOR_UNREACHABLE
from dispatcher.settings import DispatcherSettings


def test_circuit_opens_after_consecutive_failures_and_probes_once_after_the_cooldown() -> None:
    circuit = Circuit(threshold=3, cooldown_s=10)
    assert circuit.allows(0)
    assert not circuit.failed(0) and not circuit.failed(1)
    assert circuit.allows(1)
    assert circuit.failed(2)
    assert circuit.state == "open"
    assert not circuit.allows(5)
    assert circuit.reopens_in(5) == 7
    assert circuit.allows(12)  # the probe
    assert circuit.state == "half_open"
    assert not circuit.allows(12), "one probe at a time"
    assert circuit.failed(13)
    assert circuit.state == "open" and not circuit.allows(20)
    assert circuit.allows(23)
    assert circuit.succeeded()
    assert circuit.state == "closed" and circuit.allows(23)


def test_a_success_resets_the_failure_count() -> None:
    circuit = Circuit(threshold=2, cooldown_s=1)
    circuit.failed(0)
    assert not circuit.succeeded()
    assert not circuit.failed(1)
    assert circuit.state == "closed"


def test_a_probe_that_found_nothing_to_send_lets_the_next_one_go() -> None:
    circuit = Circuit(threshold=1, cooldown_s=1)
    circuit.failed(0)
    assert circuit.allows(2)
    circuit.release()
    assert circuit.allows(2)


def test_token_bucket_paces_to_the_rate_after_its_burst() -> None:
    bucket = TokenBucket(rate_per_s=100, burst=100)
    assert bucket.take(100, now=1.0) == 0
    assert bucket.take(50, now=1.0) == 0.5
    # Waiting what it said pays the debt: the next 100 tokens are a further second away.
    assert abs(bucket.take(100, now=1.5) - 1.0) < 1e-9
    bucket.refund(100)
    assert bucket.take(10, now=2.5) == 0


def test_bucket_refills_no_further_than_its_burst() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=20)
    bucket.take(20, now=1.0)
    assert bucket.take(20, now=100.0) == 0
    assert bucket.take(1, now=100.0) == 0.1


def test_quiet_hours_spanning_midnight() -> None:
    window = parse_quiet_hours({"start": "20:00:00", "end": "07:30:00"})
    assert window == (time(20), time(7, 30))
    # 22:00 in Paris (winter, UTC+1) → wait until 07:30 the next day.
    until = quiet_until(datetime(2026, 1, 5, 21, 0, tzinfo=UTC), "Europe/Paris", window)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 1, 6, 6, 30, tzinfo=UTC)
    # 06:00 Paris → 07:30 the same day.
    until = quiet_until(datetime(2026, 1, 5, 5, 0, tzinfo=UTC), "Europe/Paris", window)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    # 10:00 Paris: send.
    assert quiet_until(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "Europe/Paris", window) is None


def test_quiet_hours_within_a_day_and_in_the_schools_time_zone() -> None:
    window = (time(12), time(14))
    noon_reunion = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)  # 12:30 at UTC+4
    until = quiet_until(noon_reunion, "Indian/Reunion", window)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert quiet_until(noon_reunion, "Europe/Paris", window) is None


def test_no_or_empty_quiet_hours_never_hold() -> None:
    assert parse_quiet_hours(None) is None
    assert parse_quiet_hours({"start": "08:00:00", "end": "08:00:00"}) is None
    assert parse_quiet_hours('{"start": "20:00:00", "end": "07:00:00"}') == (time(20), time(7))
    assert quiet_until(datetime.now(UTC), "Europe/Paris", None) is None


def test_waiting_buckets_are_bounded() -> None:
    assert [waiting_bucket(n) for n in (1, 9, 10, 99, 100, 5000)] == [
        "1-9",
        "1-9",
        "10-99",
        "10-99",
        "100-999",
        "1000+",
    ]


def test_health_is_told_on_every_change_and_periodically_while_sms_wait() -> None:
    health = SchoolHealth("0750001A", Circuit(threshold=1, cooldown_s=5), "simulator")
    assert health.due(waiting=0, now=0, interval_s=60), "never told yet"
    health.mark_published(0, now=0)
    assert not health.due(waiting=0, now=1000, interval_s=60), "nothing waits, nothing changed"
    assert health.due(waiting=3, now=1, interval_s=60), "SMS started waiting"
    health.mark_published(3, now=1)
    assert not health.due(waiting=5, now=30, interval_s=60)
    assert health.due(waiting=5, now=61, interval_s=60), "periodically while SMS wait"
    health.mark_published(5, now=61)
    health.circuit.failed(62)
    health.last_error_code = "operator_unreachable"
    assert health.due(waiting=5, now=62, interval_s=60), "the circuit opened"
    message = health.message(5)
    assert message.circuit_state == "open" and not message.reachable
    assert message.waiting_sms == 5 and message.last_error_fr == OPERATOR_UNREACHABLE


def test_a_send_may_not_outlive_the_time_after_which_it_is_presumed_orphaned() -> None:
    with pytest.raises(ValidationError, match="sending_timeout_s"):
        DispatcherSettings(sending_timeout_s=20, operator_timeout_s=15)
    assert DispatcherSettings(sending_timeout_s=30, operator_timeout_s=15).sending_timeout_s == 30

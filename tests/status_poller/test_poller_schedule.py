"""The polling rhythm, its backoff, expiry and the late look for an operator's answer (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from shared.operators.base import Capabilities
from shared.states import SmsState
from status_poller.domain.lifecycle import EXPIRED, TrackedSms
from status_poller.domain.schedule import (
    PollPolicy,
    Tracking,
    failure_delay,
    next_look,
    regular_interval,
    tracking_of,
)

T0 = datetime(2024, 9, 13, 7, 42, tzinfo=UTC)
POLICY = PollPolicy(
    interval=timedelta(minutes=5),
    backoff_after=timedelta(hours=2),
    max_interval=timedelta(hours=1),
    validity=timedelta(hours=48),
    retry_after_failure=timedelta(minutes=1),
    late_interval=timedelta(hours=6),
    late_window=timedelta(days=7),
)


def sms(**changes: object) -> TrackedSms:
    values: dict[str, object] = {
        "sms_id": uuid4(),
        "uai": "0750001A",
        "absence_id": uuid4(),
        "action_code": "SMS1",
        "recipient_role": "Légal 1",
        "state": SmsState.IN_TRANSIT,
        "changed_at": T0,
        "provider_code": "op",
        "provider_message_id": "OP-1",
        "submitted_at": T0,
        "expires_at": T0 + POLICY.validity,
    }
    values.update(changes)
    return TrackedSms(**values)  # type: ignore[arg-type]


def caps(*, poll: bool, receipts: bool) -> Capabilities:
    return Capabilities(
        max_batch=10,
        rate_limit_per_s=1.0,
        supports_status_poll=poll,
        max_status_batch=10,
        supports_receipts=receipts,
        supports_long_messages=False,
        supports_client_reference_lookup=False,
    )


def test_a_young_sms_is_polled_every_five_minutes() -> None:
    assert regular_interval(timedelta(0), POLICY) == timedelta(minutes=5)
    assert regular_interval(timedelta(hours=1, minutes=59), POLICY) == timedelta(minutes=5)


def test_past_the_backoff_age_the_interval_doubles_from_poll_to_poll_up_to_the_cap() -> None:
    age = POLICY.backoff_after
    intervals = []
    for _ in range(8):
        interval = regular_interval(age, POLICY)
        intervals.append(interval)
        age += interval
    assert intervals[:5] == [timedelta(minutes=m) for m in (5, 5, 10, 20, 40)]
    assert intervals[5:] == [timedelta(hours=1)] * 3


def test_failure_delay_doubles_per_failure_in_a_row_and_is_capped() -> None:
    assert [failure_delay(n, POLICY) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert failure_delay(50, POLICY) == POLICY.max_interval
    assert failure_delay(1, POLICY, retry_after_s=600) == timedelta(minutes=10)
    assert failure_delay(1, POLICY, retry_after_s=10**9) == POLICY.max_interval


def test_next_look_of_an_sms_in_transit_is_one_interval_away() -> None:
    now = T0 + timedelta(minutes=7)
    assert next_look(sms(), now, POLICY, Tracking.POLL) == now + timedelta(minutes=5)
    assert next_look(
        sms(state=SmsState.CARRIER_ACCEPTED), now, POLICY, Tracking.UNKNOWN
    ) == now + timedelta(minutes=5)


def test_next_look_never_falls_after_expiry() -> None:
    now = T0 + POLICY.validity - timedelta(minutes=1)
    assert next_look(sms(), now, POLICY, Tracking.POLL) == T0 + POLICY.validity


def test_after_a_transient_failure_the_next_look_backs_off() -> None:
    now = T0 + timedelta(minutes=10)
    assert next_look(sms(poll_failures=3), now, POLICY, Tracking.POLL) == now + timedelta(minutes=4)


def test_an_sms_that_cannot_be_polled_is_looked_at_when_it_expires() -> None:
    now = T0 + timedelta(minutes=1)
    expires = T0 + POLICY.validity
    assert next_look(sms(), now, POLICY, Tracking.RECEIPTS) == expires
    assert next_look(sms(provider_message_id=None), now, POLICY, Tracking.POLL) == expires


@pytest.mark.parametrize(
    "state", [SmsState.DELIVERED, SmsState.INVALID, SmsState.FAILED, SmsState.UNCONFIRMED]
)
def test_nothing_more_to_learn_means_no_next_look(state: SmsState) -> None:
    assert next_look(sms(state=state), T0, POLICY, Tracking.POLL) is None


def test_an_operator_undelivered_is_final_and_never_looked_at_again() -> None:
    undelivered = sms(state=SmsState.UNDELIVERED, reason_code=None)
    assert next_look(undelivered, T0, POLICY, Tracking.POLL) is None


def test_an_expired_sms_is_looked_at_rarely_until_the_late_window_closes() -> None:
    expired = sms(state=SmsState.UNDELIVERED, own_verdict=True, reason_code=EXPIRED)
    expires = T0 + POLICY.validity
    assert next_look(expired, expires, POLICY, Tracking.POLL) == expires + POLICY.late_interval
    near_end = expires + POLICY.late_window - timedelta(hours=1)
    assert next_look(expired, near_end, POLICY, Tracking.POLL) == expires + POLICY.late_window
    assert next_look(expired, expires + POLICY.late_window, POLICY, Tracking.POLL) is None
    assert next_look(expired, expires, POLICY, Tracking.RECEIPTS) is None


def test_tracking_follows_the_operator_capabilities() -> None:
    assert tracking_of(caps(poll=True, receipts=False)) is Tracking.POLL
    assert tracking_of(caps(poll=True, receipts=True)) is Tracking.POLL
    assert tracking_of(caps(poll=False, receipts=True)) is Tracking.RECEIPTS
    assert tracking_of(caps(poll=False, receipts=False)) is Tracking.NOTHING
    assert tracking_of(None) is Tracking.UNKNOWN

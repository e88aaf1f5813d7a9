"""When to look at a tracked SMS again: the polling rhythm, its backoff, expiry and late answers.

The seed's rule is "every 5 minutes while en transit or pris en charge". An SMS that has had no
final answer for a while is asked less and less often (the interval grows with its age, up to a
cap); after the validity window we decide "non remis (expiré)" ourselves and keep asking, rarely,
for a bounded time, because an operator's late final answer still replaces our verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.operators.base import Capabilities
from status_poller.domain.lifecycle import POLLED_STATES, TrackedSms, is_expired_verdict

# 2**16 times any sane retry delay is beyond every cap; bounding the exponent avoids overflow.
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class PollPolicy:
    interval: timedelta  # between polls of a young SMS
    backoff_after: timedelta  # age after which the interval starts growing
    max_interval: timedelta  # the growing interval's cap (and the cap of failure backoff)
    validity: timedelta  # without a final answer by then: undelivered / expired
    retry_after_failure: timedelta  # first delay after a transient operator failure, doubling
    late_interval: timedelta  # between polls of an SMS we declared expired
    late_window: timedelta  # how long after expiry a late answer is still looked for


class Tracking(StrEnum):
    """What an operator lets us learn about an SMS after it accepted it."""

    POLL = "poll"  # we ask (its receipts may come too)
    RECEIPTS = "receipts"  # it pushes receipts; we only watch the clock
    NOTHING = "nothing"  # it says nothing: "envoyé, sans accusé" at once
    UNKNOWN = "unknown"  # no usable account or adapter (yet): keep the normal rhythm


def tracking_of(capabilities: Capabilities | None) -> Tracking:
    if capabilities is None:
        return Tracking.UNKNOWN
    if capabilities.supports_status_poll:
        return Tracking.POLL
    if capabilities.supports_receipts:
        return Tracking.RECEIPTS
    return Tracking.NOTHING


def regular_interval(age: timedelta, policy: PollPolicy) -> timedelta:
    """The pause before the next poll of an SMS submitted `age` ago.

    Past `backoff_after`, the interval is the time spent beyond it (so it doubles from one poll to
    the next), never less than the base interval and never more than the cap.
    """
    if age < policy.backoff_after:
        return policy.interval
    grown = max(policy.interval, age - policy.backoff_after)
    return min(grown, max(policy.interval, policy.max_interval))


def failure_delay(
    failures: int, policy: PollPolicy, retry_after_s: float | None = None
) -> timedelta:
    """The pause after `failures` transient operator failures in a row (doubling, capped)."""
    doublings = min(max(failures - 1, 0), _MAX_DOUBLINGS)
    delay = min(policy.retry_after_failure * (1 << doublings), policy.max_interval)
    if retry_after_s is not None and retry_after_s > 0:
        delay = max(delay, min(timedelta(seconds=retry_after_s), policy.max_interval))
    return delay


def next_look(
    sms: TrackedSms,
    now: datetime,
    policy: PollPolicy,
    tracking: Tracking,
    *,
    retry_after_s: float | None = None,
) -> datetime | None:
    """When the poller must look at `sms` again; None when nothing is left to learn.

    Before expiry the next look never falls after `expires_at`, so that the verdict comes on time
    even for an SMS that cannot be polled (receipts only, no operator message id).
    """
    if sms.state.is_final:
        return _late_look(sms, now, policy, tracking)
    if sms.state not in POLLED_STATES:
        return None  # "à vérifier": staff decide, nobody polls
    expires = sms.expires_at
    pollable = tracking in (Tracking.POLL, Tracking.UNKNOWN) and sms.provider_message_id
    if not pollable:
        return expires if expires is not None else now + policy.interval
    if sms.poll_failures:
        delay = failure_delay(sms.poll_failures, policy, retry_after_s)
    else:
        delay = regular_interval(now - (sms.submitted_at or now), policy)
    candidate = now + delay
    return min(candidate, expires) if expires is not None else candidate


def _late_look(
    sms: TrackedSms, now: datetime, policy: PollPolicy, tracking: Tracking
) -> datetime | None:
    """Rare polls of an SMS we declared expired, until the late window closes."""
    if not is_expired_verdict(sms) or sms.expires_at is None or not sms.provider_message_id:
        return None
    if tracking not in (Tracking.POLL, Tracking.UNKNOWN):
        return None
    end = sms.expires_at + policy.late_window
    if now >= end:
        return None
    return min(now + policy.late_interval, end)

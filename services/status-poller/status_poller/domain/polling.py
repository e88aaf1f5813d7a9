"""What one look at a tracked SMS does: apply the operator's answer, our verdicts, reschedule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from status_poller.domain.lifecycle import Fact, TrackedSms, apply_fact, expiry, without_status
from status_poller.domain.schedule import PollPolicy, Tracking, next_look


@dataclass(frozen=True)
class PollAnswer:
    """What asking the operator about one SMS gave (nothing when it was not asked)."""

    asked: bool = False
    report: Fact | None = None
    transient_failure: bool = False
    retry_after_s: float | None = None


NOT_ASKED = PollAnswer()


@dataclass(frozen=True)
class Look:
    sms: TrackedSms  # the SMS as it must be stored, next look included
    changes: tuple[TrackedSms, ...]  # one snapshot per state change, in order, to publish


def look(
    sms: TrackedSms,
    answer: PollAnswer,
    *,
    now: datetime,
    policy: PollPolicy,
    tracking: Tracking,
) -> Look:
    """Apply, in order: the operator's report, "sans accusé" when the operator says nothing, and
    expiry; then schedule the next look. Each accepted state change is one snapshot to publish.
    """
    current = sms
    if answer.asked:
        failures = current.poll_failures + 1 if answer.transient_failure else 0
        current = replace(current, polls=current.polls + 1, poll_failures=failures)
    changes: list[TrackedSms] = []

    def accept(fact: Fact | None) -> None:
        nonlocal current
        changed = apply_fact(current, fact) if fact is not None else None
        if changed is not None:
            current = changed
            changes.append(changed)

    accept(answer.report)
    if tracking is Tracking.NOTHING:
        accept(without_status(current, now))
    accept(expiry(current, now))
    scheduled = next_look(current, now, policy, tracking, retry_after_s=answer.retry_after_s)
    return Look(replace(current, next_poll_at=scheduled), tuple(changes))

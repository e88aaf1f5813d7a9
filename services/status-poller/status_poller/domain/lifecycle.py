"""The tracked state of one SMS and how facts about it change that state.

A fact comes from the dispatcher (submitted, rejected), from the operator (a status report) or from
us (expiry, "sans accusé"). Whether it replaces the current state is decided by
`shared.states.may_replace` alone, so that the same facts give the same story in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from shared.states import SmsState, may_replace

#: The states in which we still ask the operator for news.
POLLED_STATES: frozenset[SmsState] = frozenset({SmsState.IN_TRANSIT, SmsState.CARRIER_ACCEPTED})

#: reason_code of our own "non remis" verdict when no final answer came within the validity window.
EXPIRED = "expired"
#: reason_code of our own "envoyé, sans accusé" verdict for operators that report nothing.
NO_STATUS_SERVICE = "no_status_service"


@dataclass(frozen=True)
class TrackedSms:
    """One SMS as the status-poller follows it (no phone number, no name, no text)."""

    sms_id: UUID
    uai: str
    absence_id: UUID
    action_code: str
    recipient_role: str
    state: SmsState
    changed_at: datetime
    own_verdict: bool = False
    provider_code: str | None = None
    provider_message_id: str | None = None
    operator_code: str | None = None
    reason_code: str | None = None
    correlation_id: UUID | None = None
    submitted_at: datetime | None = None
    expires_at: datetime | None = None
    # Scheduling bookkeeping: None means nothing more to ask anyone.
    next_poll_at: datetime | None = None
    polls: int = 0
    poll_failures: int = 0


@dataclass(frozen=True)
class Fact:
    """A state somebody reported for an SMS, with what came with it."""

    state: SmsState
    changed_at: datetime
    own_verdict: bool = False
    operator_code: str | None = None
    reason_code: str | None = None
    provider_message_id: str | None = None


def apply_fact(sms: TrackedSms, fact: Fact) -> TrackedSms | None:
    """The SMS after `fact`, or None when the fact changes nothing (stale, duplicate, weaker)."""
    if not may_replace(sms.state, sms.own_verdict, fact.state, fact.own_verdict):
        return None
    return replace(
        sms,
        state=fact.state,
        own_verdict=fact.own_verdict,
        operator_code=fact.operator_code,
        reason_code=fact.reason_code,
        changed_at=fact.changed_at,
        provider_message_id=fact.provider_message_id or sms.provider_message_id,
    )


def merge(current: TrackedSms | None, candidate: TrackedSms) -> TrackedSms | None:
    """Fold what a dispatcher message says (`candidate`) into what we track; None: no change.

    A candidate that wins also brings its submission details (a resend of an SMS "à vérifier"
    is accepted under a new operator message id and a new validity window).
    """
    if current is None:
        return candidate
    if not may_replace(current.state, current.own_verdict, candidate.state, candidate.own_verdict):
        return None
    return replace(
        current,
        state=candidate.state,
        own_verdict=candidate.own_verdict,
        operator_code=candidate.operator_code,
        reason_code=candidate.reason_code,
        changed_at=candidate.changed_at,
        provider_code=candidate.provider_code or current.provider_code,
        provider_message_id=candidate.provider_message_id or current.provider_message_id,
        submitted_at=candidate.submitted_at or current.submitted_at,
        expires_at=candidate.expires_at or current.expires_at,
        correlation_id=candidate.correlation_id or current.correlation_id,
        poll_failures=0,
    )


def expiry(sms: TrackedSms, now: datetime) -> Fact | None:
    """Our "non remis (expiré)" verdict, once the validity window passed without a final answer."""
    if sms.state in POLLED_STATES and sms.expires_at is not None and now >= sms.expires_at:
        return Fact(SmsState.UNDELIVERED, now, own_verdict=True, reason_code=EXPIRED)
    return None


def without_status(sms: TrackedSms, now: datetime) -> Fact | None:
    """Our "envoyé, sans accusé" verdict, for an SMS whose operator will never tell us more."""
    if sms.state in POLLED_STATES:
        return Fact(SmsState.SENT_UNCONFIRMED, now, own_verdict=True, reason_code=NO_STATUS_SERVICE)
    return None


def is_expired_verdict(sms: TrackedSms) -> bool:
    """Whether the SMS stands on our expiry verdict (an operator's late answer may replace it)."""
    return sms.state is SmsState.UNDELIVERED and sms.own_verdict and sms.reason_code == EXPIRED

"""One SMS as the "Suivi des SMS" lists show it, and how each fact learnt about it is merged in.

Four topics tell reporting about an SMS, in any order and any number of times: sms.requested (who,
what, when, in which school calendar), sms.submitted, sms.rejected and sms.status (its state). Each
message becomes a `Fact`; `merge` folds a fact into the row known so far. The rules make the row
the same whatever order the facts come in and however often they are replayed:

- what sms.requested says (the diffusion) is set once, by the first request seen; replays carry
  the same values;
- references and provider fields are filled when still unknown, never overwritten;
- the state moves only when `shared.states.may_replace` allows it; a fact that repeats the
  current state (sms.rejected and the sms.status telling the same rejection) only completes the
  details still missing (reason, operator code).

A row counts in the monthly synthesis once its diffusion is known (that is when its month is
known): one in `total`, and one in `delivered` while its state is `delivered`. The counters are
kept as the difference between a row's contribution before and after a merge, so a message can
never be counted twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from shared.states import (
    DELIVERED,
    IN_PROGRESS,
    INVALID_OR_UNDELIVERED,
    SmsState,
    may_replace,
)


class Tab(StrEnum):
    """The tabs of "Suivi des SMS" (the synthesis is a separate route)."""

    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    INVALID_OR_UNDELIVERED = "invalid_or_undelivered"
    ALL = "all"


#: The states each tab lists; `all` lists every diffused SMS.
TAB_STATES: dict[Tab, frozenset[SmsState]] = {
    Tab.IN_PROGRESS: IN_PROGRESS,
    Tab.DELIVERED: DELIVERED,
    Tab.INVALID_OR_UNDELIVERED: INVALID_OR_UNDELIVERED,
    Tab.ALL: IN_PROGRESS | DELIVERED | INVALID_OR_UNDELIVERED,
}


def tab_of(state: SmsState) -> Tab:
    """The one tab (besides `all`) an SMS in `state` appears in."""
    for tab in (Tab.IN_PROGRESS, Tab.DELIVERED, Tab.INVALID_OR_UNDELIVERED):
        if state in TAB_STATES[tab]:
            return tab
    raise ValueError(f"state {state.value} is never reported (not diffused)")


class CrossSchoolFactError(ValueError):
    """A message names an SMS that belongs to another school: it can never be applied."""

    safe_summary = "the message names an SMS of another school"


@dataclass(frozen=True)
class Diffusion:
    """What sms.requested tells: the display fields and the school's calendar at diffusion."""

    action_label: str
    pupil_name: str
    division: str | None
    event_label: str
    diffused_at: datetime
    time_zone: str
    school_year_start_month: int

    @property
    def local_diffused_at(self) -> datetime:
        return self.diffused_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def diffused_on(self) -> date:
        """The day of diffusion in the school's time zone (what the date filters compare)."""
        return self.local_diffused_at.date()

    @property
    def month(self) -> date:
        """The first day of the month of diffusion, in the school's time zone."""
        return self.diffused_on.replace(day=1)


@dataclass(frozen=True)
class StateReport:
    """A state some message reports, with its details."""

    state: SmsState
    own_verdict: bool
    at: datetime
    reason_code: str | None = None
    reason_message: str | None = None
    operator_code: str | None = None


@dataclass(frozen=True)
class Fact:
    """One message about one SMS, in the terms of the read model."""

    sms_id: UUID
    uai: str
    report: StateReport
    absence_id: UUID | None = None
    action_code: str | None = None
    recipient_role: str | None = None
    diffusion: Diffusion | None = None
    provider_code: str | None = None
    provider_message_id: str | None = None


@dataclass(frozen=True)
class TrackedSms:
    """The denormalised row of one SMS."""

    sms_id: UUID
    uai: str
    absence_id: UUID | None
    action_code: str | None
    recipient_role: str | None
    diffusion: Diffusion | None
    state: SmsState
    own_verdict: bool
    state_changed_at: datetime
    reason_code: str | None
    reason_message: str | None
    operator_code: str | None
    provider_code: str | None
    provider_message_id: str | None

    @property
    def tab(self) -> Tab:
        return tab_of(self.state)

    @property
    def contribution(self) -> Contribution | None:
        """What this row adds to the monthly counters (nothing until its diffusion is known)."""
        if self.diffusion is None or self.action_code is None:
            return None
        return Contribution(
            CounterKey(self.uai, self.diffusion.month, self.action_code),
            self.diffusion.action_label,
            total=1,
            delivered=1 if self.state is SmsState.DELIVERED else 0,
        )


@dataclass(frozen=True, order=True)
class TabKey:
    uai: str
    tab: str


@dataclass(frozen=True)
class TabDelta:
    key: TabKey
    count: int


def tab_deltas(changes: Iterable[tuple[TrackedSms | None, TrackedSms]]) -> list[TabDelta]:
    """How the number of listed SMS per school and tab moves (only rows with a known diffusion
    are listed), sorted by key."""
    acc: dict[TabKey, int] = {}
    for before, after in changes:
        for row, sign in ((before, -1), (after, 1)):
            if row is not None and row.diffusion is not None:
                key = TabKey(row.uai, row.tab.value)
                acc[key] = acc.get(key, 0) + sign
    return [TabDelta(key, n) for key, n in sorted(acc.items()) if n]


@dataclass(frozen=True, order=True)
class CounterKey:
    uai: str
    month: date
    action_code: str


@dataclass(frozen=True)
class Contribution:
    key: CounterKey
    action_label: str
    total: int
    delivered: int


def merge(current: TrackedSms | None, fact: Fact) -> TrackedSms:
    """The row once `fact` is known; `current` is None when nothing was known of the SMS."""
    report = fact.report
    if current is None:
        return TrackedSms(
            sms_id=fact.sms_id,
            uai=fact.uai,
            absence_id=fact.absence_id,
            action_code=fact.action_code,
            recipient_role=fact.recipient_role,
            diffusion=fact.diffusion,
            state=report.state,
            own_verdict=report.own_verdict,
            state_changed_at=report.at,
            reason_code=report.reason_code,
            reason_message=report.reason_message,
            operator_code=report.operator_code,
            provider_code=fact.provider_code,
            provider_message_id=fact.provider_message_id,
        )
    if current.uai != fact.uai:
        raise CrossSchoolFactError("the message names an SMS of another school")
    row = _merge_references(current, fact)
    if may_replace(current.state, current.own_verdict, report.state, report.own_verdict):
        return replace(
            row,
            state=report.state,
            own_verdict=report.own_verdict,
            state_changed_at=report.at,
            reason_code=report.reason_code,
            reason_message=report.reason_message,
            operator_code=report.operator_code,
        )
    if report.state is current.state and report.own_verdict == current.own_verdict:
        return replace(
            row,
            reason_code=current.reason_code or report.reason_code,
            reason_message=current.reason_message or report.reason_message,
            operator_code=current.operator_code or report.operator_code,
        )
    return row


def _merge_references(current: TrackedSms, fact: Fact) -> TrackedSms:
    if current.diffusion is None and fact.diffusion is not None:
        # The request is the authority on what the SMS is about; the other topics only copy it.
        absence_id = fact.absence_id or current.absence_id
        action_code = fact.action_code or current.action_code
        recipient_role = fact.recipient_role or current.recipient_role
    else:
        absence_id = current.absence_id or fact.absence_id
        action_code = current.action_code or fact.action_code
        recipient_role = current.recipient_role or fact.recipient_role
    return replace(
        current,
        absence_id=absence_id,
        action_code=action_code,
        recipient_role=recipient_role,
        diffusion=current.diffusion or fact.diffusion,
        provider_code=current.provider_code or fact.provider_code,
        provider_message_id=current.provider_message_id or fact.provider_message_id,
    )


def fold(current: TrackedSms | None, facts: Iterable[Fact]) -> TrackedSms:
    """Merge several facts about one SMS, earliest reported first."""
    ordered = sorted(facts, key=lambda f: f.report.at)
    if not ordered:
        raise ValueError("fold needs at least one fact")
    row = current
    for fact in ordered:
        row = merge(row, fact)
    assert row is not None
    return row


@dataclass(frozen=True)
class CounterDelta:
    key: CounterKey
    action_label: str
    total: int
    delivered: int


def counter_deltas(changes: Iterable[tuple[TrackedSms | None, TrackedSms]]) -> list[CounterDelta]:
    """The changes to the monthly counters that turning each `before` into `after` makes.

    Sorted by key, so that concurrent transactions touch counter rows in one order (no deadlock).
    """
    totals: dict[CounterKey, list[int]] = {}
    labels: dict[CounterKey, str] = {}
    for before, after in changes:
        for row, sign in ((before, -1), (after, 1)):
            part = row.contribution if row is not None else None
            if part is None:
                continue
            acc = totals.setdefault(part.key, [0, 0])
            acc[0] += sign * part.total
            acc[1] += sign * part.delivered
            labels[part.key] = part.action_label
    return [
        CounterDelta(key, labels[key], total, delivered)
        for key, (total, delivered) in sorted(totals.items())
        if total or delivered
    ]


def search_key(text: str) -> str:
    """`text` without accents and case, for "name contains" searches ("Éloïse" → "eloise")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

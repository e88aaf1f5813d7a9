"""The canonical states of one SMS, their order, their French labels and the rule of succession.

Every service speaks these machine values in its messages and tables; the French labels are what
staff read. The rule that decides whether a new state may replace the current one lives here, once,
because the status-poller, the events service and reporting all apply it to the same stream of facts
and must reach the same answer whatever order the facts arrive in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class SmsState(StrEnum):
    """The canonical state of an SMS: the machine value carried in messages and stored in tables."""

    PENDING = "pending"
    DELETED = "deleted"
    CANCELLED = "cancelled"
    QUEUED = "queued"
    IN_TRANSIT = "in_transit"
    UNCONFIRMED = "unconfirmed"
    CARRIER_ACCEPTED = "carrier_accepted"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    INVALID = "invalid"
    FAILED = "failed"
    SENT_UNCONFIRMED = "sent_unconfirmed"

    @property
    def rank(self) -> int:
        """The state's place in the lifecycle (0 to 4); a state never goes back to a lower rank."""
        return RANKS[self]

    @property
    def label_fr(self) -> str:
        """The French label staff see in the UI and the reports."""
        return LABELS_FR[self]

    @property
    def is_final(self) -> bool:
        """Whether the SMS has reached the end of its life (never-diffused or answered)."""
        return self in FINAL_STATES


RANKS: Mapping[SmsState, int] = MappingProxyType(
    {
        SmsState.PENDING: 0,
        SmsState.DELETED: 0,
        SmsState.CANCELLED: 0,
        SmsState.QUEUED: 1,
        SmsState.IN_TRANSIT: 2,
        SmsState.UNCONFIRMED: 2,
        SmsState.CARRIER_ACCEPTED: 3,
        SmsState.DELIVERED: 4,
        SmsState.UNDELIVERED: 4,
        SmsState.INVALID: 4,
        SmsState.FAILED: 4,
        SmsState.SENT_UNCONFIRMED: 4,
    }
)

LABELS_FR: Mapping[SmsState, str] = MappingProxyType(
    {
        SmsState.PENDING: "à diffuser",
        SmsState.DELETED: "supprimé",
        SmsState.CANCELLED: "annulé",
        SmsState.QUEUED: "en attente d'envoi",
        SmsState.IN_TRANSIT: "en transit",
        SmsState.UNCONFIRMED: "à vérifier",
        SmsState.CARRIER_ACCEPTED: "pris en charge",
        SmsState.DELIVERED: "délivré",
        SmsState.UNDELIVERED: "non remis",
        SmsState.INVALID: "invalidé",
        SmsState.FAILED: "échec d'envoi",
        SmsState.SENT_UNCONFIRMED: "envoyé, sans accusé",
    }
)

#: Final before diffusion: staff deleted the SMS, or the absence was justified first.
NEVER_DIFFUSED: frozenset[SmsState] = frozenset({SmsState.DELETED, SmsState.CANCELLED})

FINAL_STATES: frozenset[SmsState] = NEVER_DIFFUSED | frozenset(
    state for state, rank in RANKS.items() if rank == 4
)

#: Every state an SMS can be in once someone pressed "Diffuser" (what sms.status.v1 may carry).
DIFFUSED_STATES: frozenset[SmsState] = frozenset(
    state for state, rank in RANKS.items() if rank >= 1
)

#: The final states we may decide ourselves (expiry → undelivered; "sans accusé").
OWN_VERDICT_STATES: frozenset[SmsState] = frozenset(
    {SmsState.UNDELIVERED, SmsState.SENT_UNCONFIRMED}
)

# Reporting tabs. sent_unconfirmed is final but stays "in progress" for staff: an operator's answer
# may still come and replace it, and nobody has seen it delivered.
IN_PROGRESS: frozenset[SmsState] = frozenset(
    {
        SmsState.QUEUED,
        SmsState.IN_TRANSIT,
        SmsState.CARRIER_ACCEPTED,
        SmsState.UNCONFIRMED,
        SmsState.SENT_UNCONFIRMED,
    }
)
DELIVERED: frozenset[SmsState] = frozenset({SmsState.DELIVERED})
INVALID_OR_UNDELIVERED: frozenset[SmsState] = frozenset(
    {SmsState.INVALID, SmsState.UNDELIVERED, SmsState.FAILED}
)


def may_replace(
    current: SmsState,
    current_is_own_verdict: bool,
    new: SmsState,
    new_is_own_verdict: bool,
) -> bool:
    """Whether `new` may replace `current` as the state of one SMS.

    The "own verdict" flags say whether a final state was decided by us (expiry, "sans accusé")
    rather than reported by the operator or the dispatcher; they only matter for final states.

    Rules, in order:

    - deleted / cancelled are terminal; they may only replace `pending` (never a diffused SMS).
    - A final state that is not an own verdict is never replaced: the first answer wins.
    - An own verdict gives way to a later final answer that is not an own verdict, even one with
      the same value (an operator's "undelivered" replaces our expiry: the flag and the operator
      code change). It never gives way to a non-final state or to another own verdict.
    - Otherwise a state only moves to a strictly higher rank, with one equal-rank exception:
      `in_transit` replaces `unconfirmed` (reconciliation found the SMS at the operator, or a
      resend was accepted), whereas `unconfirmed` never replaces `in_transit`: once the operator
      is known to hold the SMS, a later "outcome unknown" adds nothing.
    - Replacing a state by itself is never a change (duplicates are no-ops).
    """
    if current in NEVER_DIFFUSED:
        return False
    if new in NEVER_DIFFUSED:
        return current is SmsState.PENDING
    if current.is_final:
        if not current_is_own_verdict:
            return False
        return new.is_final and not new_is_own_verdict
    if current is SmsState.UNCONFIRMED and new is SmsState.IN_TRANSIT:
        return True
    return new.rank > current.rank

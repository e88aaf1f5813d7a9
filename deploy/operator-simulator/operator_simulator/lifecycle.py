"""Accepted messages and the states they go through, computed from timestamps (no timers).

An accepted message is ``accepted`` (ACCEPTD) at submission, ``sent`` (ENROUTE) after half its
delivery delay, and reaches its final state (DELIVRD or UNDELIV) after the whole delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Status = Literal["accepted", "sent", "delivered", "undelivered"]
Code = Literal["ACCEPTD", "ENROUTE", "DELIVRD", "UNDELIV"]
FinalOutcome = Literal["delivered", "undelivered"]


@dataclass(frozen=True)
class NewMessage:
    """A message the operator is about to accept; its fate is fixed at submission."""

    account: str
    client_ref: str
    to: str
    text: str
    sender: str | None
    segments: int
    outcome: FinalOutcome
    delivery_delay_s: float


@dataclass(frozen=True)
class StoredMessage:
    message_id: str
    accepted_at: float  # seconds since the epoch
    content: NewMessage

    @property
    def account(self) -> str:
        return self.content.account

    @property
    def client_ref(self) -> str:
        return self.content.client_ref


@dataclass(frozen=True)
class MessageState:
    status: Status
    code: Code
    at: float  # when the message entered this state, seconds since the epoch

    @property
    def updated_at(self) -> str:
        return iso_utc(self.at)


def transitions(message: StoredMessage) -> tuple[MessageState, MessageState, MessageState]:
    """Accepted, sent and final states, in order."""
    start, delay = message.accepted_at, message.content.delivery_delay_s
    final = (
        MessageState("delivered", "DELIVRD", start + delay)
        if message.content.outcome == "delivered"
        else MessageState("undelivered", "UNDELIV", start + delay)
    )
    return (
        MessageState("accepted", "ACCEPTD", start),
        MessageState("sent", "ENROUTE", start + delay / 2),
        final,
    )


def state_at(message: StoredMessage, now: float) -> MessageState:
    reached = [state for state in transitions(message) if state.at <= now]
    return reached[-1] if reached else transitions(message)[0]


def iso_utc(timestamp: float) -> str:
    """ISO-8601 in UTC with milliseconds and a ``Z``: ``2025-03-14T08:00:00.125Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""Accepted messages and the states they go through, computed from timestamps (no timers).

An accepted message is ``accepted`` (ACCEPTD) at submission, ``sent`` (ENROUTE) after half its
delivery delay, and reaches its final state (DELIVRD or UNDELIV) after the whole delay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["accepted", "sent", "delivered", "undelivered"]
Code = Literal["ACCEPTD", "ENROUTE", "DELIVRD", "UNDELIV"]
FinalOutcome = Literal["delivered", "undelivered"]


@dataclass(frozen=True)
class NewMessage:
    """A message the operator is about to accept; its fate is fixed at submission.

    `received` holds the request's fields for this message as the API got them (credentials left
    out), for tests to inspect; `dialect` and `endpoint` tell which API got them.
    """

    account: str
    client_ref: str | None  # only the native API has client references
    to: str
    text: str
    sender: str | None
    segments: int
    outcome: FinalOutcome
    delivery_delay_s: float
    dialect: str = "native"
    endpoint: str = "/api/v1/messages"
    batch_id: str | None = None
    received: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredMessage:
    message_id: str
    accepted_at: float  # seconds since the epoch
    content: NewMessage

    @property
    def account(self) -> str:
        return self.content.account

    @property
    def client_ref(self) -> str | None:
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

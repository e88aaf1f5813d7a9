"""What every dialect shares: number formats, the verdict on each recipient, recording the sends."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request

from operator_simulator.config import AccountConfig
from operator_simulator.lifecycle import NewMessage, StoredMessage
from operator_simulator.phone import mask
from operator_simulator.request_log import annotate
from operator_simulator.segments import count_segments
from operator_simulator.state import Simulator

Verdict = Literal["accepted", "invalid_number", "landline"]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_DIGITS = re.compile(r"[1-9][0-9]{6,14}")
_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
_LOGGED_NUMBERS = 10


def from_e164(raw: str | None) -> str | None:
    """``+33639980001`` as is; anything else is not a number in this format."""
    return raw if raw is not None and _E164.fullmatch(raw) else None


def from_digits(raw: str | None) -> str | None:
    """``33639980001`` (digits, country code first, no ``+``) → ``+33639980001``."""
    return "+" + raw if raw is not None and _DIGITS.fullmatch(raw) else None


def from_digits_or_e164(raw: str | None) -> str | None:
    return from_e164(raw) or from_digits(raw)


def valid_sender(sender: str) -> bool:
    """At most 11 letters, digits or spaces, with at least one letter."""
    return _SENDER.fullmatch(sender) is not None and re.search("[A-Za-z]", sender) is not None


@dataclass(frozen=True)
class Outgoing:
    """One recipient of a dialect request."""

    number: str | None  # E.164, None when the dialect's number format was not met
    text: str
    sender: str | None
    received: Mapping[str, Any]  # the request's fields for this recipient, credentials left out


@dataclass(frozen=True)
class Planned:
    outgoing: Outgoing
    verdict: Verdict
    segments: int


def plan(config: AccountConfig, outgoing: Sequence[Outgoing]) -> list[Planned]:
    """The verdict on each recipient: the number's format, then the account's outcome rules."""
    planned = []
    for item in outgoing:
        verdict: Verdict = "invalid_number"
        if item.number is not None:
            outcome = config.outcome_for(item.number)
            if outcome == "landline":
                verdict = "landline"
            elif outcome != "invalid":
                verdict = "accepted"
        planned.append(Planned(item, verdict, count_segments(item.text)))
    return planned


def parts_needed(planned: Sequence[Planned]) -> int:
    return sum(p.segments for p in planned if p.verdict == "accepted")


def lacks_credit(config: AccountConfig, planned: Sequence[Planned]) -> bool:
    """Credit is not consumed: a send is refused when it alone would need more than is left."""
    return config.credit < parts_needed(planned)


async def record(
    simulator: Simulator,
    request: Request,
    account: str,
    config: AccountConfig,
    planned: Sequence[Planned],
    *,
    dialect: str,
    batch_id: str | None = None,
) -> list[StoredMessage | None]:
    """Store the accepted recipients as messages; one entry per planned item (None if refused)."""
    accepted: list[NewMessage] = []
    for item in planned:
        if item.verdict != "accepted":
            continue
        outcome = config.outcome_for(item.outgoing.number or "")
        accepted.append(
            NewMessage(
                account=account,
                client_ref=None,
                to=item.outgoing.number or "",
                text=item.outgoing.text,
                sender=item.outgoing.sender,
                segments=item.segments,
                outcome="undelivered" if outcome == "undelivered" else "delivered",
                delivery_delay_s=config.delivery_delay_s,
                dialect=dialect,
                endpoint=request.url.path,
                batch_id=batch_id,
                received=item.outgoing.received,
            )
        )
    stored = iter(await simulator.accept(accepted))
    results = [next(stored) if item.verdict == "accepted" else None for item in planned]
    annotate(
        request,
        messages=len(planned),
        accepted=len(accepted),
        to=[mask(item.outgoing.number or "") for item in planned[:_LOGGED_NUMBERS]],
    )
    return results

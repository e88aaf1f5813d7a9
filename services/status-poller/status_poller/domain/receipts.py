"""Delivery receipts pushed by operators: who may push them, and what one answer says of an SMS.

Pure rules only; the webhook (entrypoints) and the use case (app) do the I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.operators.base import StatusReport
from shared.states import SmsState
from status_poller.domain.lifecycle import Fact

#: The states a kept early receipt may hold (what an operator can say after accepting an SMS).
RECEIPT_STATES: frozenset[SmsState] = frozenset(
    {
        SmsState.IN_TRANSIT,
        SmsState.CARRIER_ACCEPTED,
        SmsState.DELIVERED,
        SmsState.UNDELIVERED,
        SmsState.INVALID,
        SmsState.FAILED,
    }
)

_FAILED_PART_STATES = (SmsState.INVALID, SmsState.UNDELIVERED, SmsState.FAILED)


@dataclass(frozen=True)
class EarlyReceipt:
    """A state an operator pushed for a message id nobody has submitted yet."""

    uai: str
    provider_code: str
    provider_message_id: str
    state: SmsState
    operator_code: str | None
    changed_at: datetime
    received_at: datetime


def secret_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of the secret in the URL with the account's."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def simulator_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """The operator simulator's `X-Simulator-Signature`: `sha256=` + hex HMAC of the raw body."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode("utf-8"), expected.encode("utf-8"))


def signature_valid(dialect: str, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the receipt carries a valid signature of its dialect (False for unsigned
    dialects, and for a signed dialect without its header)."""
    if dialect == "simulator":
        return simulator_signature_valid(secret, body, headers.get("x-simulator-signature"))
    return False


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> list[IpNetwork]:
    """The allow-list of receipt sources (raises ValueError on a malformed CIDR)."""
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip()]


def source_allowed(address: str | None, networks: Sequence[IpNetwork]) -> bool:
    """An empty allow-list lets every source in; otherwise the address must be in one network."""
    if not networks:
        return True
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def combine_parts(reports: Sequence[StatusReport]) -> list[StatusReport]:
    """One report per message id. When an operator reports the parts of a multi-part SMS
    (several reports under one id), the SMS is only as far as its parts together: délivré when
    every part is, the first failed part's state when one failed, else its least advanced part."""
    by_id: dict[str, list[StatusReport]] = {}
    for report in reports:
        by_id.setdefault(report.provider_message_id, []).append(report)
    return [parts[0] if len(parts) == 1 else _whole(parts) for parts in by_id.values()]


def _whole(parts: list[StatusReport]) -> StatusReport:
    failed = [p for p in parts if p.state in _FAILED_PART_STATES]
    if failed:
        return min(failed, key=_when)
    if all(p.state is SmsState.DELIVERED for p in parts):
        return max(parts, key=_when)
    pending = [p for p in parts if p.state is not SmsState.DELIVERED]
    return min(pending, key=lambda p: p.state.rank)


def _when(report: StatusReport) -> float:
    return report.changed_at.timestamp() if report.changed_at is not None else 0.0


def fact_of(report: StatusReport, now: datetime) -> Fact:
    """What an operator's report (a poll answer or a receipt) says, as a fact about the SMS."""
    changed_at = report.changed_at or now
    if changed_at.tzinfo is None:  # an operator that gives zone-less times: read them as UTC
        changed_at = changed_at.replace(tzinfo=UTC)
    return Fact(
        report.state,
        changed_at.astimezone(UTC),
        operator_code=report.operator_code,
        provider_message_id=report.provider_message_id,
    )

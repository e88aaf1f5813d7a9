"""The interface every operator adapter implements, and the failures it may raise.

An adapter speaks one operator's HTTP dialect. The dispatcher sends through it; the status-poller
asks it for delivery states and has it parse the receipts the operator pushes. What an operator
cannot do is declared in its `Capabilities`, never papered over: an operator without status
polling or receipts ends its SMS in "envoyé, sans accusé", never in a false "non remis".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

from shared.states import SmsState


@dataclass(frozen=True)
class Capabilities:
    max_batch: int  # recipients per send request
    rate_limit_per_s: float  # SMS per second and per account
    supports_status_poll: bool
    max_status_batch: int  # message ids per status request
    supports_receipts: bool
    supports_long_messages: bool
    supports_client_reference_lookup: bool


@dataclass(frozen=True)
class AccountConfig:
    """A school's provider account, secrets decrypted (never logged, never returned by an API)."""

    uai: str
    provider_code: str
    dialect: str
    base_url: str
    key: str
    password: str = field(repr=False)
    option1: str | None = None
    option2: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True)
class OutgoingSms:
    client_reference: str  # our SMS id: lets us find the SMS again after a crash
    to: str  # E.164
    text: str
    sender: str | None = None


@dataclass(frozen=True)
class SendResult:
    """The operator's answer for one recipient of a batch."""

    client_reference: str
    state: SmsState  # in_transit when accepted, invalid or failed when refused
    provider_message_id: str | None = None
    segments: int | None = None
    operator_code: str | None = None
    reason_code: str | None = None  # for refusals: "invalid_number", "no_credit", …


@dataclass(frozen=True)
class StatusReport:
    provider_message_id: str
    state: SmsState
    operator_code: str | None
    changed_at: datetime | None
    client_reference: str | None = None


@dataclass(frozen=True)
class InboundReceipt:
    """A delivery receipt as an operator pushed it to our webhook, before any interpretation."""

    method: str
    content_type: str | None
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class ReceiptAnswer:
    """What the operator expects back from our webhook."""

    status_code: int
    body: str
    media_type: str = "text/plain"


@dataclass(frozen=True)
class AccountCheck:
    """The outcome of a successful "Tester": what the operator told about the account."""

    credit_remaining: int | None = None
    detail: str | None = None  # never a secret


class MalformedReceiptError(ValueError):
    """A receipt the adapter cannot read (the webhook answers 400; nothing is applied)."""


class OperatorError(Exception):
    """Base of the failures an adapter raises; the message never holds a secret or a number."""

    reason_code: str = "operator_error"


class TransientOperatorError(OperatorError):
    """Try again later: timeout before sending, connection refused, 5xx, 429."""

    reason_code = "operator_unreachable"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OperatorTimeoutError(TransientOperatorError):
    """The operator did not answer in time a request that is safe to repeat (a status or account
    request, or a send that never left): "Tester" tells it apart from an unreachable service."""


class PermanentOperatorError(OperatorError):
    """Retrying will not help until someone acts: bad credentials, no credit, account closed."""

    def __init__(self, message: str, *, reason_code: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code


class OutcomeUnknownError(OperatorError):
    """The request may have reached the operator (a timeout after sending): never resend blindly."""

    reason_code = "outcome_unknown"


class OperatorAdapter(Protocol):
    dialect: ClassVar[str]
    capabilities: Capabilities

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        """Submit up to `capabilities.max_batch` SMS; one result per message, in order."""
        ...

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        """Delivery states of up to `capabilities.max_status_batch` messages."""
        ...

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        """What the operator knows of a submission by our reference (None: it never got it)."""
        ...

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        """A real authenticated call ("Tester"): raises `PermanentOperatorError`
        (bad_credentials), `TransientOperatorError` or `OutcomeUnknownError` (timeout)."""
        ...

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        """The states a pushed receipt carries (raises `MalformedReceiptError`). Fields the
        operator adds are ignored. Only called when `capabilities.supports_receipts`."""
        ...

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        """The answer the operator expects from our webhook."""
        ...


class AdapterRegistry:
    """The adapters of a process, by dialect (an operator entry names its dialect)."""

    def __init__(self, adapters: Mapping[str, OperatorAdapter]) -> None:
        self._adapters = dict(adapters)

    def get(self, dialect: str) -> OperatorAdapter:
        try:
            return self._adapters[dialect]
        except KeyError:
            raise PermanentOperatorError(
                f"no adapter for dialect {dialect!r}", reason_code="no_provider"
            ) from None

    @property
    def dialects(self) -> list[str]:
        return sorted(self._adapters)

"""Delivery receipts pushed by operators: authenticate, read, apply forward-only, publish.

The webhook's URL names the dialect, the school and the school's receipt secret. A receipt is
accepted only from an allowed source, for a school whose account speaks that dialect, with the
account's secret (compared in constant time) or, for a dialect that signs its receipts, a valid
signature made with it. Whatever is refused is refused the same way, so that the answer tells a
stranger nothing of which schools exist. A receipt naming a message nobody submitted yet is kept
and applied when the submission arrives (see `Tracker`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.contracts import utc_now
from shared.crypto import DecryptionError, SecretBox
from shared.db.outbox import enqueue
from shared.db.pool import tenant_transaction
from shared.operators.accounts import SchoolAccount, load_accounts
from shared.operators.base import (
    AdapterRegistry,
    InboundReceipt,
    MalformedReceiptError,
    OperatorAdapter,
    OperatorError,
    ReceiptAnswer,
    StatusReport,
)
from status_poller.adapters.early_receipt_repository import EarlyReceiptRepository
from status_poller.adapters.metrics import PollerMetrics
from status_poller.adapters.tracked_sms_repository import TrackedSmsRepository
from status_poller.app.statuses import status_message
from status_poller.domain.clock import Clock
from status_poller.domain.lifecycle import TrackedSms
from status_poller.domain.polling import PollAnswer, look
from status_poller.domain.receipts import (
    RECEIPT_STATES,
    EarlyReceipt,
    IpNetwork,
    combine_parts,
    fact_of,
    secret_matches,
    signature_valid,
    source_allowed,
)
from status_poller.domain.schedule import PollPolicy, tracking_of

log = logging.getLogger(__name__)

_UAI = re.compile(r"^\d{7}[A-Za-z]$")
_JSON = "application/json"

REFUSED = ReceiptAnswer(
    401,
    '{"error": {"code": "receipt_refused", "message": "Accusé de réception refusé : '
    "l'adresse de réception ou son secret ne correspond à aucun compte. Copier l'URL de "
    "réception affichée dans les paramètres du fournisseur de l'établissement.\"}}",
    _JSON,
)
FORBIDDEN_SOURCE = ReceiptAnswer(
    403,
    '{"error": {"code": "receipt_source_refused", "message": "Accusé de réception refusé : '
    "l'adresse d'origine n'est pas autorisée. Ajouter le réseau de l'opérateur aux sources "
    'autorisées du suivi des SMS."}}',
    _JSON,
)


@dataclass(frozen=True)
class ReceiptCall:
    """One call of the webhook: what its URL says and what the operator sent."""

    dialect: str
    uai: str
    secret: str
    source: str | None  # the caller's address
    receipt: InboundReceipt

    def __repr__(self) -> str:  # the secret never reaches a log line or a traceback
        return f"ReceiptCall(dialect={self.dialect!r}, uai={self.uai!r})"


@dataclass(frozen=True)
class _Sender:
    adapter: OperatorAdapter
    account: SchoolAccount
    provider_code: str


class ReceiptDesk:
    """Receives the receipts of every school; see the module's docstring."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool[Any],
        box: SecretBox,
        adapters: AdapterRegistry,
        policy: PollPolicy,
        metrics: PollerMetrics,
        allowed_sources: Sequence[IpNetwork] = (),
        clock: Clock = utc_now,
    ) -> None:
        self._pool = pool
        self._box = box
        self._adapters = adapters
        self._policy = policy
        self._metrics = metrics
        self._allowed_sources = list(allowed_sources)
        self._clock = clock

    async def receive(self, call: ReceiptCall) -> ReceiptAnswer:
        """Authenticate the call, apply what the receipt says, and answer as its operator
        expects."""
        dialect = call.dialect if call.dialect in self._adapters.dialects else "unknown"
        if not source_allowed(call.source, self._allowed_sources):
            self._metrics.receipt(dialect, "refused", "source")
            return FORBIDDEN_SOURCE
        sender = await self._authenticate(call)
        if sender is None:
            self._metrics.receipt(dialect, "refused", "authentication")
            return REFUSED
        adapter = sender.adapter
        if not adapter.capabilities.supports_receipts:
            self._metrics.receipt(dialect, "refused", "unsupported")
            return adapter.receipt_answer(accepted=False)
        try:
            reports = combine_parts(adapter.parse_receipt(call.receipt))
        except MalformedReceiptError:
            self._metrics.receipt(dialect, "refused", "malformed")
            log.info("unreadable receipt refused", extra={"uai": call.uai, "dialect": dialect})
            return adapter.receipt_answer(accepted=False)
        await self._apply(call.uai, sender, reports)
        self._metrics.receipt(dialect, "accepted")
        return adapter.receipt_answer(accepted=True)

    async def _authenticate(self, call: ReceiptCall) -> _Sender | None:
        if not _UAI.match(call.uai) or call.dialect not in self._adapters.dialects:
            return None
        async with tenant_transaction(self._pool, {call.uai}, readonly=True) as conn:
            account = (await load_accounts(conn, {call.uai})).get(call.uai)
        if (
            account is None
            or not account.has_provider
            or account.dialect != call.dialect
            or not account.provider_code
            or not account.receipt_secret_encrypted
        ):
            return None
        try:
            secret = self._box.decrypt_text(account.receipt_secret_encrypted)
            adapter = self._adapters.get(call.dialect)
        except (DecryptionError, OperatorError):
            log.warning("receipt secret unusable", extra={"uai": call.uai})
            return None
        by_url = secret_matches(call.secret, secret)
        by_signature = signature_valid(
            call.dialect, secret, call.receipt.body, call.receipt.headers
        )
        if not (by_url or by_signature):
            return None
        return _Sender(adapter, account, account.provider_code)

    async def _apply(self, uai: str, sender: _Sender, reports: Sequence[StatusReport]) -> None:
        now = self._clock()
        tracking = tracking_of(sender.adapter.capabilities)
        changes: list[TrackedSms] = []
        async with tenant_transaction(self._pool, {uai}) as conn:
            receipts = EarlyReceiptRepository(conn)
            await receipts.serialize_with_submissions({uai})
            repo = TrackedSmsRepository(conn)
            rows = await repo.lock_by_message_ids(
                uai, sender.provider_code, [r.provider_message_id for r in reports]
            )
            stored: list[TrackedSms] = []
            early: list[EarlyReceipt] = []
            for report in reports:
                fact = fact_of(report, now)
                sms = rows.get(report.provider_message_id)
                if sms is None:
                    if fact.state in RECEIPT_STATES:
                        early.append(
                            EarlyReceipt(
                                uai=uai,
                                provider_code=sender.provider_code,
                                provider_message_id=report.provider_message_id,
                                state=fact.state,
                                operator_code=fact.operator_code,
                                changed_at=fact.changed_at,
                                received_at=now,
                            )
                        )
                    continue
                result = look(
                    sms, PollAnswer(report=fact), now=now, policy=self._policy, tracking=tracking
                )
                if result.changes:
                    stored.append(result.sms)
                    changes.extend(result.changes)
            await repo.update(stored)
            await receipts.keep(early)
            await enqueue(conn, [status_message(change, now) for change in changes])
        self._metrics.changed(changes)

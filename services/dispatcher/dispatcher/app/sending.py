"""Sending the queued SMS, per school account, through the account's operator adapter.

Each round claims the due SMS (recording "sending" before any call), groups them by school and
sends every school's batch concurrently: one slow or failing operator delays only its schools.
Results, the state changes and the messages they cause are written in one transaction per school.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from dispatcher.adapters import queue
from dispatcher.adapters.queue import QueuedSms
from dispatcher.domain.reasons import message_fr, rejected_state
from dispatcher.domain.retry import retry_delay
from shared.contracts import Envelope, SmsRejectedV1, SmsSubmittedV1
from shared.crypto import SecretBox
from shared.db.outbox import OutboxRelay, enqueue
from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.operators.accounts import SchoolAccount, load_accounts
from shared.operators.base import (
    AdapterRegistry,
    OperatorAdapter,
    OutcomeUnknownError,
    OutgoingSms,
    PermanentOperatorError,
    SendResult,
    TransientOperatorError,
)
from shared.states import SmsState

log = logging.getLogger(__name__)
PRODUCER = "dispatcher"


@dataclass(frozen=True)
class SenderConfig:
    claim_limit: int = 2000
    concurrency: int = 32
    tick_s: float = 0.2
    max_queue_age_s: float = 3 * 3600
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    sending_timeout_s: float = 120.0


@dataclass
class _Outcome:
    submitted: list[tuple[QueuedSms, SendResult, str]] = field(default_factory=list)
    rejected: list[tuple[QueuedSms, str, str | None]] = field(default_factory=list)
    requeued: list[tuple[QueuedSms, float, str]] = field(default_factory=list)


class Sender:
    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        registry: AdapterRegistry,
        box: SecretBox,
        relay: OutboxRelay,
        config: SenderConfig,
    ) -> None:
        self._pool = pool
        self._registry = registry
        self._box = box
        self._relay = relay
        self._config = config
        self._limit = asyncio.Semaphore(config.concurrency)
        self._last_recovery = 0.0

    async def run(self) -> None:
        """Send until cancelled."""
        while True:
            sent = await self.run_once()
            if sent == 0:
                await asyncio.sleep(self._config.tick_s)

    async def run_once(self) -> int:
        """One round: recover SMS stuck in "sending", then send the due ones; returns how many."""
        loop_time = asyncio.get_running_loop().time()
        recover = loop_time - self._last_recovery > min(10.0, self._config.sending_timeout_s / 2)
        if recover:
            self._last_recovery = loop_time
        due, stale, accounts = await self._claim(recover=recover)
        if not due and not stale:
            return 0
        work = [
            self._guarded(self._send_school, uai, rows, accounts.get(uai))
            for uai, rows in _by_school(due).items()
        ] + [
            self._guarded(self._reconcile_school, uai, rows, accounts.get(uai))
            for uai, rows in _by_school(stale).items()
        ]
        await asyncio.gather(*work)
        self._relay.wake()
        return len(due) + len(stale)

    async def _claim(
        self, *, recover: bool
    ) -> tuple[list[QueuedSms], list[QueuedSms], dict[str, SchoolAccount]]:
        """Claim the due SMS (and, when `recover`, the stale "sending" ones) of every school, with
        the accounts of their schools.

        The sender serves the whole académie from one queue, so this is the one place it reads
        across schools, and it says so (row-level security); what it then records is written
        under each school's own scope (`_record`).
        """
        async with self._pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "dispatcher: claim due and stale SMS")
            stale: list[QueuedSms] = []
            if recover:
                stale = await queue.claim_stale_sending(
                    conn, self._config.sending_timeout_s, self._config.claim_limit
                )
            due = await queue.claim_due(conn, self._config.claim_limit)
            if not due and not stale:
                return [], [], {}
            accounts = await load_accounts(conn, {s.uai for s in (*due, *stale)})
        return due, stale, accounts

    async def _guarded(
        self, step: Any, uai: str, rows: list[QueuedSms], account: SchoolAccount | None
    ) -> None:
        async with self._limit:
            try:
                outcome = await step(rows, account)
            except Exception:
                # An unexpected failure must not strand the SMS in "sending": the recovery round
                # reconciles them once `sending_timeout_s` has passed.
                log.exception("sending failed unexpectedly", extra={"uai": uai, "sms": len(rows)})
                return
            await self._record(uai, outcome)

    async def _send_school(self, rows: list[QueuedSms], account: SchoolAccount | None) -> _Outcome:
        outcome = _Outcome()
        if account is None:
            # The school's settings have not reached this service yet (another topic): wait.
            outcome.requeued += [(sms, 5.0, "school settings not received yet") for sms in rows]
            return outcome
        refusal = _refusal(account)
        if refusal is not None:
            outcome.rejected += [(sms, refusal, None) for sms in rows]
            return outcome
        try:
            adapter = self._registry.get(account.dialect or "")
        except PermanentOperatorError:
            outcome.rejected += [(sms, "provider_not_supported", None) for sms in rows]
            return outcome
        config = account.config(self._box)
        size = adapter.capabilities.max_batch
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            outgoing = [
                OutgoingSms(str(s.sms_id), s.recipient_phone, s.text, config.sender_name)
                for s in chunk
            ]
            try:
                results = await adapter.send_batch(config, outgoing)
            except TransientOperatorError as exc:
                self._retry_or_fail(outcome, rows[start:], exc.retry_after_s, str(exc))
                break
            except PermanentOperatorError as exc:
                outcome.rejected += [(sms, exc.reason_code, None) for sms in rows[start:]]
                break
            except OutcomeUnknownError:
                await self._reconcile(adapter, account, chunk, outcome)
                continue
            by_ref = {r.client_reference: r for r in results}
            for sms in chunk:
                result = by_ref.get(str(sms.sms_id))
                if result is None:  # the operator skipped it: it is not sent, try again
                    self._retry_or_fail(outcome, [sms], None, "missing from the operator's answer")
                elif result.state is SmsState.IN_TRANSIT:
                    outcome.submitted.append((sms, result, config.provider_code))
                else:
                    outcome.rejected.append(
                        (sms, result.reason_code or "operator_refused", result.operator_code)
                    )
        return outcome

    async def _reconcile_school(
        self, rows: list[QueuedSms], account: SchoolAccount | None
    ) -> _Outcome:
        outcome = _Outcome()
        if account is None or not account.has_provider:
            outcome.submitted += [
                (sms, _unconfirmed(sms), (account.provider_code if account else None) or "")
                for sms in rows
            ]
            return outcome
        try:
            adapter = self._registry.get(account.dialect or "")
        except PermanentOperatorError:
            outcome.submitted += [
                (sms, _unconfirmed(sms), account.provider_code or "") for sms in rows
            ]
            return outcome
        await self._reconcile(adapter, account, rows, outcome)
        return outcome

    async def _reconcile(
        self,
        adapter: OperatorAdapter,
        account: SchoolAccount,
        rows: Sequence[QueuedSms],
        outcome: _Outcome,
    ) -> None:
        """After an unknown outcome: ask the operator by client reference, never resend blindly.

        Found: it was sent. Not found: it never arrived, so sending again is safe. An operator
        without lookup leaves the SMS "à vérifier" for staff to decide.
        """
        provider = account.provider_code or ""
        if not adapter.capabilities.supports_client_reference_lookup:
            outcome.submitted += [(sms, _unconfirmed(sms), provider) for sms in rows]
            return
        config = account.config(self._box)
        for sms in rows:
            try:
                found = await adapter.lookup(config, str(sms.sms_id))
            except (TransientOperatorError, OutcomeUnknownError):
                continue  # still unknown: stays "sending" and the recovery round asks again
            if found is None:
                outcome.requeued.append((sms, 0.0, "not received by the operator, resending"))
            else:
                outcome.submitted.append((sms, found, provider))

    def _retry_or_fail(
        self, outcome: _Outcome, rows: Sequence[QueuedSms], retry_after_s: float | None, error: str
    ) -> None:
        now = datetime.now(UTC)
        for sms in rows:
            if now - sms.queued_at > timedelta(seconds=self._config.max_queue_age_s):
                outcome.rejected.append((sms, "operator_unreachable", None))
                continue
            delay = retry_delay(
                sms.attempts,
                base_s=self._config.retry_base_s,
                max_s=self._config.retry_max_s,
                retry_after_s=retry_after_s,
            )
            outcome.requeued.append((sms, delay, error[:200]))

    async def _record(self, uai: str, outcome: _Outcome) -> None:
        now = datetime.now(UTC)
        messages: list[Envelope] = []
        submitted_rows = []
        for sms, result, provider in outcome.submitted:
            state = (
                SmsState.UNCONFIRMED
                if result.state is SmsState.UNCONFIRMED
                else SmsState.IN_TRANSIT
            )
            submitted_rows.append(
                (
                    uai,
                    sms.sms_id,
                    state.value,
                    provider,
                    result.provider_message_id,
                    result.operator_code,
                )
            )
            messages.append(
                SmsSubmittedV1(
                    producer=PRODUCER,
                    uai=uai,
                    correlation_id=sms.correlation_id,
                    sms_id=sms.sms_id,
                    state="unconfirmed" if state is SmsState.UNCONFIRMED else "in_transit",
                    provider_code=provider,
                    provider_message_id=result.provider_message_id,
                    segments=result.segments or sms.segments,
                    submitted_at=now,
                    absence_id=sms.absence_id,
                    action_code=sms.action_code,
                    recipient_role=sms.recipient_role,
                    client_reference=str(sms.sms_id),
                )
            )
        rejected_rows = []
        for sms, reason, operator_code in outcome.rejected:
            state = rejected_state(reason)
            rejected_rows.append((uai, sms.sms_id, state.value, reason, operator_code, None))
            messages.append(
                SmsRejectedV1(
                    producer=PRODUCER,
                    uai=uai,
                    correlation_id=sms.correlation_id,
                    sms_id=sms.sms_id,
                    state="invalid" if state is SmsState.INVALID else "failed",
                    reason_code=reason,
                    message_fr=message_fr(reason),
                    absence_id=sms.absence_id,
                    action_code=sms.action_code,
                    recipient_role=sms.recipient_role,
                    rejected_at=now,
                )
            )
        requeued_rows = [(uai, sms.sms_id, delay, error) for sms, delay, error in outcome.requeued]
        async with tenant_transaction(self._pool, {uai}) as conn:
            await queue.mark_submitted(conn, submitted_rows)
            await queue.mark_rejected(conn, rejected_rows)
            await queue.requeue(conn, requeued_rows)
            await enqueue(conn, messages)


def _by_school(rows: Sequence[QueuedSms]) -> dict[str, list[QueuedSms]]:
    grouped: dict[str, list[QueuedSms]] = defaultdict(list)
    for row in rows:
        grouped[row.uai].append(row)
    return grouped


def _refusal(account: SchoolAccount) -> str | None:
    if not account.has_provider:
        return "no_provider"
    if not account.sms_enabled:
        return "sms_not_enabled"
    return None


def _unconfirmed(sms: QueuedSms) -> SendResult:
    return SendResult(client_reference=str(sms.sms_id), state=SmsState.UNCONFIRMED)

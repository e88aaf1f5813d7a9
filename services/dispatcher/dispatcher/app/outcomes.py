"""What one sending step decided for a school's SMS, and how it is recorded: the queue's state
changes and the messages they cause, in one transaction under that school's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from dispatcher.adapters import queue
from dispatcher.adapters.metrics import SenderMetrics
from dispatcher.adapters.queue import QueuedSms
from dispatcher.domain.reasons import message_fr, rejected_state
from shared.contracts import Envelope, SmsRejectedV1, SmsSubmittedV1
from shared.db.outbox import enqueue
from shared.db.pool import tenant_transaction
from shared.operators.base import SendResult
from shared.states import SmsState

PRODUCER = "dispatcher"


@dataclass
class Outcome:
    submitted: list[tuple[QueuedSms, SendResult, str]] = field(default_factory=list)
    rejected: list[tuple[QueuedSms, str, str | None]] = field(default_factory=list)
    requeued: list[tuple[QueuedSms, float, str]] = field(default_factory=list)
    # Messages published with the results (e.g. provider.health.v1).
    extra: list[Envelope] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.submitted or self.rejected or self.requeued or self.extra)


def unconfirmed(sms: QueuedSms) -> SendResult:
    return SendResult(client_reference=str(sms.sms_id), state=SmsState.UNCONFIRMED)


async def record(
    pool: asyncpg.Pool[Any],
    uai: str,
    outcome: Outcome,
    metrics: SenderMetrics | None = None,
    provider: str = "",
) -> None:
    """Write the outcome of one step for one school, with the messages it causes."""
    if not outcome:
        return
    now = datetime.now(UTC)
    messages: list[Envelope] = []
    submitted_rows = []
    for sms, result, provider_code in outcome.submitted:
        state = (
            SmsState.UNCONFIRMED if result.state is SmsState.UNCONFIRMED else SmsState.IN_TRANSIT
        )
        submitted_rows.append(
            (
                uai,
                sms.sms_id,
                state.value,
                provider_code,
                result.provider_message_id,
                result.operator_code,
                sms.sending_since,
            )
        )
        messages.append(
            SmsSubmittedV1(
                producer=PRODUCER,
                uai=uai,
                correlation_id=sms.correlation_id,
                sms_id=sms.sms_id,
                state="unconfirmed" if state is SmsState.UNCONFIRMED else "in_transit",
                provider_code=provider_code,
                provider_message_id=result.provider_message_id,
                segments=result.segments or sms.segments,
                submitted_at=now,
                absence_id=sms.absence_id,
                action_code=sms.action_code,
                recipient_role=sms.recipient_role,
                client_reference=str(sms.sms_id),
            )
        )
        if metrics is not None:
            metrics.submitted(provider_code, state.value)
    rejected_rows = []
    for sms, reason, operator_code in outcome.rejected:
        state = rejected_state(reason)
        rejected_rows.append(
            (uai, sms.sms_id, state.value, reason, operator_code, None, sms.sending_since)
        )
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
        if metrics is not None:
            metrics.failed(provider, reason)
    requeued_rows = [
        (uai, sms.sms_id, delay, error, sms.sending_since) for sms, delay, error in outcome.requeued
    ]
    async with tenant_transaction(pool, {uai}) as conn:
        await queue.mark_submitted(conn, submitted_rows)
        await queue.mark_rejected(conn, rejected_rows)
        await queue.requeue(conn, requeued_rows)
        await enqueue(conn, [*messages, *outcome.extra])

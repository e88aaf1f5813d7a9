"""SQL of the send queue.

Row-level security limits every statement to the schools its transaction declared: the consumer's
batch, one school when a result is recorded, or every school for the sender's claims (the caller
declares it with `shared.db.pool.set_all_schools_scope`; declared nothing, they claim nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.contracts import SmsRequestedV1
from shared.db.types import Connection


@dataclass(frozen=True)
class QueuedSms:
    sms_id: UUID
    uai: str
    absence_id: UUID
    action_code: str
    recipient_role: str
    recipient_phone: str
    text: str
    segments: int
    correlation_id: UUID | None
    attempts: int
    queued_at: datetime


_COLUMNS = (
    "sms_id, uai, absence_id, action_code, recipient_role, recipient_phone, text, segments,"
    " correlation_id, attempts, queued_at"
)


async def enqueue_requests(conn: Connection, messages: Sequence[SmsRequestedV1]) -> None:
    """Store requested SMS; an SMS already known (whatever message carried it) is left alone."""
    await conn.execute(
        """
        INSERT INTO send_queue (sms_id, uai, absence_id, action_code, recipient_role,
                                recipient_phone, text, segments, correlation_id)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::int[], $9::uuid[])
        ON CONFLICT (sms_id) DO NOTHING
        """,
        [m.sms_id for m in messages],
        [m.uai for m in messages],
        [m.absence_id for m in messages],
        [m.action_code for m in messages],
        [m.recipient_role for m in messages],
        [m.recipient_phone for m in messages],
        [m.text for m in messages],
        [m.segments for m in messages],
        [m.correlation_id for m in messages],
    )


async def claim_due(conn: Connection, limit: int) -> list[QueuedSms]:
    """Take due SMS for sending ("sending" is recorded before any operator call), across the
    schools the transaction declared (the sender declares all of them).

    SKIP LOCKED lets several dispatcher replicas claim disjoint rows.
    """
    rows = await conn.fetch(
        f"""
        UPDATE send_queue SET state = 'sending', sending_since = now(), attempts = attempts + 1
         WHERE sms_id IN (
               SELECT sms_id FROM send_queue
                WHERE state = 'queued' AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED)
        RETURNING {_COLUMNS}
        """,
        limit,
    )
    return [QueuedSms(**dict(r)) for r in rows]


async def claim_stale_sending(conn: Connection, older_than_s: float, limit: int) -> list[QueuedSms]:
    """SMS left in "sending" by a dispatcher that died mid-call: their outcome is unknown
    (across the schools the transaction declared, like `claim_due`)."""
    rows = await conn.fetch(
        f"""
        UPDATE send_queue SET sending_since = now()
         WHERE sms_id IN (
               SELECT sms_id FROM send_queue
                WHERE state = 'sending'
                  AND sending_since < now() - make_interval(secs => $1)
                ORDER BY sending_since
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
        RETURNING {_COLUMNS}
        """,
        older_than_s,
        limit,
    )
    return [QueuedSms(**dict(r)) for r in rows]


async def mark_submitted(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, state, provider_code, provider_message_id, operator_code)."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = $3, provider_code = $4, provider_message_id = $5,
               operator_code = $6, finished_at = now(), sending_since = NULL
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending'
        """,
        rows,
    )


async def mark_rejected(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, state, reason_code, operator_code, last_error)."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = $3, reason_code = $4, operator_code = $5, last_error = $6,
               finished_at = now(), sending_since = NULL
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending'
        """,
        rows,
    )


async def requeue(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, delay_s, last_error): back in the queue, due after the delay."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = 'queued', sending_since = NULL, last_error = $4,
               next_attempt_at = now() + make_interval(secs => $3)
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending'
        """,
        rows,
    )


async def waiting_by_school(conn: Connection) -> dict[str, int]:
    """SMS still to send, per school among those the transaction declared."""
    rows = await conn.fetch(
        "SELECT uai, count(*) AS n FROM send_queue"
        " WHERE state IN ('queued', 'sending') GROUP BY uai"
    )
    return {r["uai"]: r["n"] for r in rows}

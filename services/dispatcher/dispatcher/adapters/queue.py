"""SQL of the send queue.

Row-level security limits every statement to the schools its transaction declared: the consumer's
batch; one school when a lane claims its SMS or records their results; every school only for the
scheduler's view of what waits and its recovery of stale "sending" SMS (the caller declares it with
`shared.db.pool.set_all_schools_scope`; declared nothing, they see nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.contracts import SmsRequestedV1, SmsResolveV1
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
    # Set by each claim, and required by each write of its result: a fencing token, so that an
    # actor whose claim was taken over (a slow reconciliation, a replica presumed dead) writes
    # nothing.
    sending_since: datetime | None = None


_COLUMNS = (
    "sms_id, uai, absence_id, action_code, recipient_role, recipient_phone, text, segments,"
    " correlation_id, attempts, queued_at, sending_since"
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


async def claim_due_for_school(
    conn: Connection, uai: str, limit: int, *, queued_before_s: float | None = None
) -> list[QueuedSms]:
    """Take up to `limit` due SMS of one school for sending (SKIP LOCKED: replicas and lanes
    claim disjoint rows); with `queued_before_s`, only those queued longer ago than that."""
    rows = await conn.fetch(
        f"""
        UPDATE send_queue SET state = 'sending', sending_since = now(), attempts = attempts + 1
         WHERE sms_id IN (
               SELECT sms_id FROM send_queue
                WHERE uai = $1 AND state = 'queued' AND next_attempt_at <= now()
                  AND ($3::float8 IS NULL OR queued_at < now() - make_interval(secs => $3))
                ORDER BY next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
        RETURNING {_COLUMNS}
        """,
        uai,
        limit,
        queued_before_s,
    )
    return [QueuedSms(**dict(r)) for r in rows]


@dataclass(frozen=True)
class SchoolQueue:
    uai: str
    waiting: int  # queued or being sent
    due: int  # queued and due now
    oldest_queued_at: datetime


async def school_queues(conn: Connection) -> list[SchoolQueue]:
    """What waits, per school, across the schools the transaction declared."""
    rows = await conn.fetch(
        """
        SELECT uai, count(*) AS waiting,
               count(*) FILTER (WHERE state = 'queued' AND next_attempt_at <= now()) AS due,
               min(queued_at) AS oldest_queued_at
          FROM send_queue WHERE state IN ('queued', 'sending') GROUP BY uai
        """
    )
    return [SchoolQueue(**dict(r)) for r in rows]


async def postpone(conn: Connection, uai: str, until: datetime) -> None:
    """Hold a school's queued SMS until `until` (the end of its quiet hours)."""
    await conn.execute(
        """
        UPDATE send_queue SET next_attempt_at = $2
         WHERE uai = $1 AND state = 'queued' AND next_attempt_at < $2
        """,
        uai,
        until,
    )


async def quiet_hours(conn: Connection, uai: str) -> Any:
    """The school's stored quiet hours (jsonb), None when it has none or is unknown."""
    return await conn.fetchval("SELECT quiet_hours FROM provider_accounts WHERE uai = $1", uai)


async def claim_stale_sending(
    conn: Connection, older_than_s: float, limit: int, *, skip_uais: Sequence[str] = ()
) -> list[QueuedSms]:
    """SMS left in "sending" by a dispatcher that died mid-call: their outcome is unknown
    (across the schools the transaction declared; not those of `skip_uais`, which this process
    is reconciling already)."""
    rows = await conn.fetch(
        f"""
        UPDATE send_queue SET sending_since = now()
         WHERE sms_id IN (
               SELECT sms_id FROM send_queue
                WHERE state = 'sending'
                  AND sending_since < now() - make_interval(secs => $1)
                  AND uai <> ALL($3::text[])
                ORDER BY sending_since
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
        RETURNING {_COLUMNS}
        """,
        older_than_s,
        limit,
        list(skip_uais),
    )
    return [QueuedSms(**dict(r)) for r in rows]


async def mark_submitted(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, state, provider_code, provider_message_id, operator_code, claimed_at)."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = $3, provider_code = $4, provider_message_id = $5,
               operator_code = $6, finished_at = now(), sending_since = NULL
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending' AND sending_since = $7
        """,
        rows,
    )


async def mark_rejected(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, state, reason_code, operator_code, last_error, claimed_at)."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = $3, reason_code = $4, operator_code = $5, last_error = $6,
               finished_at = now(), sending_since = NULL
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending' AND sending_since = $7
        """,
        rows,
    )


async def requeue(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(uai, sms_id, delay_s, last_error, claimed_at): back in the queue, due after the delay."""
    await conn.executemany(
        """
        UPDATE send_queue SET state = 'queued', sending_since = NULL, last_error = $4,
               next_attempt_at = now() + make_interval(secs => $3)
         WHERE uai = $1 AND sms_id = $2 AND state = 'sending' AND sending_since = $5
        """,
        rows,
    )


async def apply_resolutions(conn: Connection, messages: Sequence[SmsResolveV1]) -> list[str]:
    """Staff's decisions on SMS "à vérifier": resend puts the SMS back in the queue, due now and
    with a fresh queue age (the same SMS id and client reference: the operator sees the same
    SMS again); keep_as_sent ends it as `sent_unconfirmed`. Only an SMS still `unconfirmed`
    takes a decision: a duplicate or late one changes nothing. Returns the decisions applied."""
    rows = await conn.fetch(
        """
        UPDATE send_queue q
           SET state = CASE d.decision WHEN 'resend' THEN 'queued' ELSE 'sent_unconfirmed' END,
               queued_at = CASE d.decision WHEN 'resend' THEN now() ELSE q.queued_at END,
               next_attempt_at = now(),
               finished_at = CASE d.decision WHEN 'resend' THEN NULL ELSE now() END,
               sending_since = NULL,
               resolution = d.decision, resolved_at = d.decided_at, resolved_by = d.decided_by
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
               AS d(sms_id, uai, decision, decided_at, decided_by)
         WHERE q.sms_id = d.sms_id AND q.uai = d.uai AND q.state = 'unconfirmed'
        RETURNING d.decision
        """,
        [m.sms_id for m in messages],
        [m.uai for m in messages],
        [m.decision for m in messages],
        [m.decided_at for m in messages],
        [m.decided_by for m in messages],
    )
    return [r["decision"] for r in rows]

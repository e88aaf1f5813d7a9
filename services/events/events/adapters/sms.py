"""SQL for the SMS of absences, from "à diffuser" to the last known state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db.types import Connection


async def insert_pending(
    conn: Connection, uai: str, rows: Sequence[dict[str, Any]], actor: str
) -> list[UUID]:
    """Insert pending SMS; a number already waiting for this absence and action is skipped.

    Returns the ids inserted.
    """
    inserted = await conn.fetch(
        """
        INSERT INTO sms (id, uai, absence_id, action_id, recipient_id, recipient_role,
                         recipient_phone, text, encoding, segments, transliterated, created_by)
        SELECT t.id, $1, t.absence_id, t.action_id, t.recipient_id, t.recipient_role,
               t.recipient_phone, t.text, t.encoding, t.segments, t.transliterated, $12
          FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                      $8::text[], $9::text[], $10::int[], $11::bool[])
               AS t(id, absence_id, action_id, recipient_id, recipient_role, recipient_phone,
                    text, encoding, segments, transliterated)
        ON CONFLICT (absence_id, action_id, recipient_phone) WHERE state = 'pending' DO NOTHING
        RETURNING id
        """,
        uai,
        [r["id"] for r in rows],
        [r["absence_id"] for r in rows],
        [r["action_id"] for r in rows],
        [r["recipient_id"] for r in rows],
        [r["recipient_role"] for r in rows],
        [r["recipient_phone"] for r in rows],
        [r["text"] for r in rows],
        [r["encoding"] for r in rows],
        [r["segments"] for r in rows],
        [r["transliterated"] for r in rows],
        actor,
    )
    return [r["id"] for r in inserted]


async def get_action(conn: Connection, uai: str, action_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, code, label, template, contact_phone, response_delay_days, active"
        " FROM actions WHERE uai = $1 AND id = $2",
        uai,
        action_id,
    )
    return dict(row) if row else None


SMS_SELECT = """
    SELECT s.id, s.absence_id, s.action_id, s.recipient_id, s.recipient_role, s.recipient_phone,
           s.text, s.encoding, s.segments, s.transliterated, s.state, s.own_verdict,
           s.reason_code, s.reason_message, s.provider_message_id, s.created_at, s.diffused_at,
           s.state_changed_at,
           a.pupil_id, a.starts_at, a.ends_at, a.justified, a.deleted_at AS absence_deleted_at,
           p.last_name, p.first_name, p.division,
           ac.code AS action_code, ac.label AS action_label, ac.template, ac.contact_phone
      FROM sms s
      JOIN absences a ON a.id = s.absence_id AND a.uai = s.uai
      JOIN pupils p ON p.id = a.pupil_id AND p.uai = s.uai
      JOIN actions ac ON ac.id = s.action_id AND ac.uai = s.uai
"""


async def count_pending(conn: Connection, uai: str) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM sms WHERE uai = $1 AND state = 'pending'", uai
    )
    return count


async def list_pending(conn: Connection, uai: str, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        SMS_SELECT + " WHERE s.uai = $1 AND s.state = 'pending'"
        " ORDER BY s.created_at, s.id LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def of_absence(conn: Connection, uai: str, absence_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        SMS_SELECT + " WHERE s.uai = $1 AND s.absence_id = $2 ORDER BY s.created_at, s.id",
        uai,
        absence_id,
    )
    return [dict(r) for r in rows]


async def lock_pending(
    conn: Connection, uai: str, ids: Sequence[UUID] | None, *, absence_id: UUID | None = None
) -> list[dict[str, Any]]:
    """The pending SMS (these ids, all of the school when None, or those of one absence), locked
    until the transaction ends, with what rendering and the eligibility check need.

    Locks are taken in id order, so that overlapping diffusions wait for each other instead of
    deadlocking; a diffusion that waited finds the SMS no longer pending and leaves it alone.
    """
    locked = await conn.fetch(
        """
        SELECT id FROM sms
         WHERE uai = $1 AND state = 'pending'
           AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
           AND ($3::uuid IS NULL OR absence_id = $3)
         ORDER BY id FOR UPDATE
        """,
        uai,
        list(ids) if ids is not None else None,
        absence_id,
    )
    if not locked:
        return []
    # A second statement: it sees what transactions committed while this one waited for locks.
    rows = await conn.fetch(
        SMS_SELECT + " WHERE s.uai = $1 AND s.id = ANY($2::uuid[]) AND s.state = 'pending'"
        " ORDER BY s.created_at, s.id",
        uai,
        [r["id"] for r in locked],
    )
    return [dict(r) for r in rows]


async def mark_queued(
    conn: Connection,
    uai: str,
    rows: Sequence[dict[str, Any]],
    diffused_by: str,
    at: datetime,
) -> None:
    """Move locked pending SMS to queued with the text and number they are sent with."""
    await conn.execute(
        """
        UPDATE sms s SET state = 'queued', diffused_at = $2, diffused_by = $3,
               state_changed_at = $2, recipient_phone = t.phone, text = t.text,
               encoding = t.encoding, segments = t.segments
          FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::int[])
               AS t(id, phone, text, encoding, segments)
         WHERE s.uai = $1 AND s.id = t.id AND s.state = 'pending'
        """,
        uai,
        at,
        diffused_by,
        [r["id"] for r in rows],
        [r["recipient_phone"] for r in rows],
        [r["text"] for r in rows],
        [r["encoding"] for r in rows],
        [r["segments"] for r in rows],
    )


async def update_texts(conn: Connection, uai: str, rows: Sequence[dict[str, Any]]) -> None:
    """Store the text pending SMS now render to (their absence changed)."""
    await conn.execute(
        """
        UPDATE sms s SET text = t.text, encoding = t.encoding, segments = t.segments
          FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[])
               AS t(id, text, encoding, segments)
         WHERE s.uai = $1 AND s.id = t.id AND s.state = 'pending'
        """,
        uai,
        [r["id"] for r in rows],
        [r["text"] for r in rows],
        [r["encoding"] for r in rows],
        [r["segments"] for r in rows],
    )


async def close_pending(
    conn: Connection,
    uai: str,
    state: str,
    stops: Sequence[tuple[UUID, str | None, str | None]],
    at: datetime,
) -> list[UUID]:
    """Close pending SMS as `deleted` or `cancelled`, each with its (reason code, message).

    Returns the ids closed (an SMS no longer pending is left as it is).
    """
    rows = await conn.fetch(
        """
        UPDATE sms s SET state = $2, reason_code = t.code, reason_message = t.message,
               state_changed_at = $3
          FROM unnest($4::uuid[], $5::text[], $6::text[]) AS t(id, code, message)
         WHERE s.uai = $1 AND s.id = t.id AND s.state = 'pending'
        RETURNING s.id
        """,
        uai,
        state,
        at,
        [s[0] for s in stops],
        [s[1] for s in stops],
        [s[2] for s in stops],
    )
    return [r["id"] for r in rows]


async def current_states(
    conn: Connection, uais: Sequence[str], ids: Sequence[UUID]
) -> dict[UUID, dict[str, Any]]:
    """States of these SMS of these schools, locked for the update that follows."""
    rows = await conn.fetch(
        "SELECT id, uai, state, own_verdict FROM sms"
        " WHERE uai = ANY($1::text[]) AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE",
        list(uais),
        list(ids),
    )
    return {r["id"]: dict(r) for r in rows}


async def apply_states(conn: Connection, changes: Sequence[tuple[Any, ...]]) -> None:
    """(uai, id, state, own_verdict, reason_code, reason_message, provider_message_id, at), at
    most one per SMS, in one statement."""
    if not changes:
        return
    columns = list(zip(*changes, strict=True))
    await conn.execute(
        """
        UPDATE sms s SET state = t.state, own_verdict = t.own_verdict,
               reason_code = coalesce(t.reason_code, s.reason_code),
               reason_message = coalesce(t.reason_message, s.reason_message),
               provider_message_id = coalesce(t.provider_message_id, s.provider_message_id),
               state_changed_at = t.at
          FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bool[], $5::text[], $6::text[],
                      $7::text[], $8::timestamptz[])
               AS t(uai, id, state, own_verdict, reason_code, reason_message,
                    provider_message_id, at)
         WHERE s.uai = t.uai AND s.id = t.id
        """,
        *(list(c) for c in columns),
    )

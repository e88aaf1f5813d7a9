"""SQL for absences and their SMS, from "à diffuser" to the last known state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db.types import Connection


async def insert_absence(conn: Connection, uai: str, absence_id: UUID, v: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO absences (id, uai, pupil_id, starts_at, ends_at, reason, evidence, observed)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8)",
        uai,
        absence_id,
        v["pupil_id"],
        v["starts_at"],
        v["ends_at"],
        v.get("reason"),
        v.get("evidence"),
        v.get("observed", True),
    )


ABSENCE_SELECT = """
    SELECT a.id, a.pupil_id, a.starts_at, a.ends_at, a.reason, a.evidence, a.observed,
           p.last_name, p.first_name, p.division
      FROM absences a JOIN pupils p ON p.id = a.pupil_id AND p.uai = a.uai
"""


async def get_absence(conn: Connection, uai: str, absence_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(ABSENCE_SELECT + " WHERE a.uai = $1 AND a.id = $2", uai, absence_id)
    return dict(row) if row else None


async def list_absences(
    conn: Connection, uai: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        ABSENCE_SELECT + " WHERE a.uai = $1 ORDER BY a.starts_at DESC, a.id LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def insert_pending_sms(
    conn: Connection, uai: str, rows: Sequence[dict[str, Any]]
) -> list[UUID]:
    """Insert pending SMS; a number already waiting for this absence and action is skipped.

    Returns the ids inserted.
    """
    inserted = await conn.fetch(
        """
        INSERT INTO sms (id, uai, absence_id, action_id, recipient_id, recipient_role,
                         recipient_phone, text, encoding, segments)
        SELECT t.id, $1, t.absence_id, t.action_id, t.recipient_id, t.recipient_role,
               t.recipient_phone, t.text, t.encoding, t.segments
          FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                      $8::text[], $9::text[], $10::int[])
               AS t(id, absence_id, action_id, recipient_id, recipient_role, recipient_phone,
                    text, encoding, segments)
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
    )
    return [r["id"] for r in inserted]


SMS_SELECT = """
    SELECT s.id, s.absence_id, s.action_id, s.recipient_role, s.recipient_phone, s.text,
           s.encoding, s.segments, s.state, s.own_verdict, s.reason_code, s.reason_message,
           s.provider_message_id, s.created_at, s.diffused_at, s.state_changed_at,
           a.starts_at, a.ends_at, p.last_name, p.first_name, p.division,
           ac.code AS action_code, ac.label AS action_label
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


async def sms_of_absence(conn: Connection, uai: str, absence_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        SMS_SELECT + " WHERE s.uai = $1 AND s.absence_id = $2 ORDER BY s.created_at, s.id",
        uai,
        absence_id,
    )
    return [dict(r) for r in rows]


async def mark_queued(
    conn: Connection, uai: str, ids: Sequence[UUID] | None, diffused_by: str, at: datetime
) -> list[dict[str, Any]]:
    """Move pending SMS (these ids, or all when None) to queued; returns those it moved.

    The row lock and the `state = 'pending'` condition make a concurrent second "Diffuser" of the
    same SMS find nothing to move: each SMS is requested once.
    """
    rows = await conn.fetch(
        """
        UPDATE sms SET state = 'queued', diffused_at = $4, diffused_by = $3, state_changed_at = $4
         WHERE uai = $1 AND state = 'pending' AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
        RETURNING id
        """,
        uai,
        list(ids) if ids is not None else None,
        diffused_by,
        at,
    )
    moved = [r["id"] for r in rows]
    if not moved:
        return []
    details = await conn.fetch(
        SMS_SELECT + " WHERE s.uai = $1 AND s.id = ANY($2::uuid[])", uai, moved
    )
    return [dict(r) for r in details]


async def mark_deleted(conn: Connection, uai: str, ids: Sequence[UUID]) -> int:
    result: str = await conn.execute(
        "UPDATE sms SET state = 'deleted', state_changed_at = now()"
        " WHERE uai = $1 AND state = 'pending' AND id = ANY($2::uuid[])",
        uai,
        list(ids),
    )
    return int(result.split()[-1])


async def current_states(
    conn: Connection, uais: Sequence[str], ids: Sequence[UUID]
) -> dict[UUID, dict[str, Any]]:
    """States of these SMS of these schools, locked for the update that follows."""
    rows = await conn.fetch(
        "SELECT id, uai, state, own_verdict FROM sms"
        " WHERE uai = ANY($1::text[]) AND id = ANY($2::uuid[]) FOR UPDATE",
        list(uais),
        list(ids),
    )
    return {r["id"]: dict(r) for r in rows}


async def apply_states(conn: Connection, changes: Sequence[tuple[Any, ...]]) -> None:
    """(uai, id, state, own_verdict, reason_code, reason_message, provider_message_id, at)."""
    await conn.executemany(
        """
        UPDATE sms SET state = $3, own_verdict = $4,
               reason_code = coalesce($5, reason_code),
               reason_message = coalesce($6, reason_message),
               provider_message_id = coalesce($7, provider_message_id),
               state_changed_at = $8
         WHERE uai = $1 AND id = $2
        """,
        changes,
    )

"""SQL for the SMS "à vérifier" and staff's decisions about them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db.types import Connection

_SELECT = """
    SELECT s.id, s.absence_id, s.recipient_role, s.diffused_at, s.state_changed_at,
           s.resolution, s.resolved_by, s.resolved_at,
           a.starts_at, a.ends_at, p.last_name, p.first_name, p.division,
           ac.code AS action_code
      FROM sms s
      JOIN absences a ON a.id = s.absence_id AND a.uai = s.uai
      JOIN pupils p ON p.id = a.pupil_id AND p.uai = s.uai
      JOIN actions ac ON ac.id = s.action_id AND ac.uai = s.uai
"""


async def count_unconfirmed(conn: Connection, uai: str) -> int:
    found: int = await conn.fetchval(
        "SELECT count(*) FROM sms WHERE uai = $1 AND state = 'unconfirmed'", uai
    )
    return found


async def list_unconfirmed(
    conn: Connection, uai: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        _SELECT + " WHERE s.uai = $1 AND s.state = 'unconfirmed'"
        " ORDER BY s.state_changed_at, s.id LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def lock(conn: Connection, uai: str, ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """The named SMS with their state and decision, locked in id order until the transaction
    ends (two staff deciding at once: the second sees the first's decision)."""
    rows = await conn.fetch(
        """
        SELECT s.id, s.state, s.resolution, s.absence_id, s.recipient_role, ac.code AS action_code
          FROM sms s JOIN actions ac ON ac.id = s.action_id AND ac.uai = s.uai
         WHERE s.uai = $1 AND s.id = ANY($2::uuid[])
         ORDER BY s.id
           FOR UPDATE OF s
        """,
        uai,
        list(ids),
    )
    return [dict(r) for r in rows]


async def record(
    conn: Connection,
    uai: str,
    ids: Sequence[UUID],
    decision: str,
    actor: str,
    at: datetime,
    *,
    new_state: str | None,
) -> None:
    """Record the decision; keeping as sent also moves the SMS to its final state here."""
    await conn.execute(
        """
        UPDATE sms SET resolution = $3, resolved_by = $4, resolved_at = $5,
               state = coalesce($6, state),
               state_changed_at = CASE WHEN $6::text IS NULL THEN state_changed_at ELSE $5 END
         WHERE uai = $1 AND id = ANY($2::uuid[])
        """,
        uai,
        list(ids),
        decision,
        actor,
        at,
        new_state,
    )

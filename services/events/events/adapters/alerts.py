"""SQL of the "délai de réponse avant alerte" list: absences still not justified once an action's
delay has passed since its first SMS left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.db.types import Connection

_OVERDUE = """
    SELECT s.absence_id, s.action_id,
           min(s.diffused_at) AS diffused_at,
           min(s.diffused_at) + make_interval(days => ac.response_delay_days) AS due_at,
           array_agg(s.recipient_role ORDER BY s.diffused_at, s.id) AS recipients,
           array_agg(s.state ORDER BY s.diffused_at, s.id) AS states
      FROM sms s
      JOIN absences a ON a.id = s.absence_id AND a.uai = s.uai
      JOIN actions ac ON ac.id = s.action_id AND ac.uai = s.uai
     WHERE s.uai = $1 AND s.diffused_at IS NOT NULL
       AND NOT a.justified AND a.deleted_at IS NULL
     GROUP BY s.absence_id, s.action_id, ac.response_delay_days
    HAVING min(s.diffused_at) + make_interval(days => ac.response_delay_days) <= $2
"""


async def count_overdue(conn: Connection, uai: str, now: datetime) -> int:
    count: int = await conn.fetchval(f"SELECT count(*) FROM ({_OVERDUE}) o", uai, now)
    return count


async def list_overdue(
    conn: Connection, uai: str, now: datetime, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT o.*, a.starts_at, a.ends_at, a.reason, p.last_name, p.first_name, p.division,
               ac.code AS action_code, ac.label AS action_label, ac.response_delay_days
          FROM ({_OVERDUE}) o
          JOIN absences a ON a.id = o.absence_id AND a.uai = $1
          JOIN pupils p ON p.id = a.pupil_id AND p.uai = $1
          JOIN actions ac ON ac.id = o.action_id AND ac.uai = $1
         ORDER BY o.due_at, o.absence_id, o.action_id
         LIMIT $3 OFFSET $4
        """,
        uai,
        now,
        limit,
        offset,
    )
    return [dict(r) for r in rows]

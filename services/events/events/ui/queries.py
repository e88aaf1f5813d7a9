"""Read-only queries of the web interface that no use case answers yet: today's SMS of a school
by state, and the académie's overview of its schools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.adapters.directory import RECIPIENT_COLUMNS
from shared.db.pool import set_all_schools_scope
from shared.db.types import Connection


async def sms_since_by_state(conn: Connection, uai: str, since: datetime) -> dict[str, int]:
    """How many of the school's SMS diffused since `since` are in each state."""
    rows = await conn.fetch(
        "SELECT state, count(*) AS n FROM sms WHERE uai = $1 AND diffused_at >= $2 GROUP BY state",
        uai,
        since,
    )
    return {r["state"]: r["n"] for r in rows}


async def schools_overview(
    conn: Connection, search: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """The académie's schools with their green light, operator and its latest health report."""
    await set_all_schools_scope(conn, "académie school overview")
    pattern = f"%{search}%" if search else None
    total: int = await conn.fetchval(
        "SELECT count(*) FROM schools WHERE $1::text IS NULL OR uai ILIKE $1 OR name ILIKE $1",
        pattern,
    )
    rows = await conn.fetch(
        "SELECT s.uai, s.name, s.sms_enabled, s.sms_enabled_at, p.provider_code,"
        " h.reachable, h.waiting_sms, h.last_error_fr, h.checked_at"
        " FROM schools s"
        " LEFT JOIN provider_settings p ON p.uai = s.uai"
        " LEFT JOIN provider_health h ON h.uai = s.uai"
        " WHERE $1::text IS NULL OR s.uai ILIKE $1 OR s.name ILIKE $1"
        " ORDER BY s.uai LIMIT $2 OFFSET $3",
        pattern,
        limit,
        offset,
    )
    return total, [dict(r) for r in rows]


async def recipients_of_pupils(
    conn: Connection, uai: str, pupil_ids: list[Any]
) -> dict[Any, list[dict[str, Any]]]:
    """The current recipients of several pupils at once (one query), in their order."""
    rows = await conn.fetch(
        f"SELECT {RECIPIENT_COLUMNS}, p.retired_at IS NOT NULL AS retired"
        " FROM recipients r JOIN pupils p ON p.id = r.pupil_id AND p.uai = r.uai"
        " WHERE r.uai = $1 AND r.pupil_id = ANY($2::uuid[]) AND r.retired_at IS NULL"
        " ORDER BY r.pupil_id, r.position, r.id",
        uai,
        pupil_ids,
    )
    found: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["pupil_id"], []).append(dict(r))
    return found

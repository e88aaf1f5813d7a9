"""Read-only queries of the web interface that no use case answers yet: today's SMS of a school
by state, and the académie's overview of its schools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


async def divisions(conn: Connection, uai: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT division FROM pupils WHERE uai = $1 AND division IS NOT NULL"
        " ORDER BY division",
        uai,
    )
    return [r["division"] for r in rows]


async def pupils_page(
    conn: Connection, uai: str, division: str | None, search: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the school's pupils (optionally of one division, or matching a name)."""
    pattern = f"%{search}%" if search else None
    where = (
        "uai = $1 AND ($2::text IS NULL OR division = $2)"
        " AND ($3::text IS NULL OR last_name ILIKE $3 OR first_name ILIKE $3)"
    )
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM pupils WHERE {where}", uai, division, pattern
    )
    rows = await conn.fetch(
        f"SELECT id, last_name, first_name, division FROM pupils WHERE {where}"
        " ORDER BY division NULLS LAST, last_name, first_name, id LIMIT $4 OFFSET $5",
        uai,
        division,
        pattern,
        limit,
        offset,
    )
    return total, [dict(r) for r in rows]


async def recipients_of_pupils(
    conn: Connection, uai: str, pupil_ids: list[Any]
) -> dict[Any, list[dict[str, Any]]]:
    """The recipients of several pupils at once, in their order."""
    rows = await conn.fetch(
        "SELECT id, pupil_id, role_label, name, mobile, accepts_sms FROM recipients"
        " WHERE uai = $1 AND pupil_id = ANY($2::uuid[]) ORDER BY pupil_id, position, id",
        uai,
        pupil_ids,
    )
    found: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["pupil_id"], []).append(dict(r))
    return found

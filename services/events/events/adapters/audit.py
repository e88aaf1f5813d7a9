"""SQL for the audit trail of settings changes."""

from __future__ import annotations

import json
from typing import Any

from shared.db.types import Connection


async def insert(conn: Connection, entries: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Append (uai, actor, action, details) entries in one round trip."""
    if not entries:
        return
    await conn.execute(
        """
        INSERT INTO audit_log (uai, actor, action, details)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
        """,
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
        [json.loads(json.dumps(e[3], default=str)) for e in entries],
    )


async def page(
    conn: Connection, uai: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    total: int = await conn.fetchval("SELECT count(*) FROM audit_log WHERE uai = $1", uai)
    rows = await conn.fetch(
        "SELECT at, actor, action, details FROM audit_log WHERE uai = $1"
        " ORDER BY id DESC LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return total, [dict(r) for r in rows]

"""SQL for the académie's operator catalog and its audit trail."""

from __future__ import annotations

import json
from typing import Any

from shared.db.types import Connection

COLUMNS = "code, name, dialect, base_url, email, phone, website, retired_at"


async def list_all(conn: Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {COLUMNS} FROM operators ORDER BY name, code")
    return [dict(r) for r in rows]


async def get(conn: Connection, code: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM operators WHERE code = $1", code)
    return dict(row) if row else None


async def insert(conn: Connection, v: dict[str, Any]) -> bool:
    """False when the code is taken."""
    result: str = await conn.execute(
        "INSERT INTO operators (code, name, dialect, base_url, email, phone, website)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
        v["code"],
        v["name"],
        v["dialect"],
        v["base_url"],
        v["email"],
        v["phone"],
        v["website"],
    )
    return result.endswith(" 1")


async def update(conn: Connection, v: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE operators SET name = $2, dialect = $3, base_url = $4, email = $5, phone = $6,"
        " website = $7, updated_at = now() WHERE code = $1",
        v["code"],
        v["name"],
        v["dialect"],
        v["base_url"],
        v["email"],
        v["phone"],
        v["website"],
    )


async def set_retired(conn: Connection, code: str, retired: bool, actor: str) -> bool:
    result: str = await conn.execute(
        "UPDATE operators SET retired_at = CASE WHEN $2 THEN coalesce(retired_at, now()) END,"
        " retired_by = CASE WHEN $2 THEN $3 END, updated_at = now() WHERE code = $1",
        code,
        retired,
        actor,
    )
    return result.endswith(" 1")


async def schools_using(conn: Connection, code: str) -> list[str]:
    """The schools whose account names the operator (needs an all-schools transaction)."""
    rows = await conn.fetch(
        "SELECT uai FROM provider_settings WHERE provider_code = $1 ORDER BY uai", code
    )
    return [r["uai"] for r in rows]


async def count_schools_using(conn: Connection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT provider_code, count(*) AS n FROM provider_settings GROUP BY provider_code"
    )
    return {r["provider_code"]: r["n"] for r in rows}


async def audit(conn: Connection, actor: str, action: str, details: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO academie_audit_log (actor, action, details) VALUES ($1, $2, $3)",
        actor,
        action,
        json.loads(json.dumps(details, default=str)),
    )


async def audit_page(conn: Connection, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    total: int = await conn.fetchval("SELECT count(*) FROM academie_audit_log")
    rows = await conn.fetch(
        "SELECT at, actor, action, details FROM academie_audit_log ORDER BY id DESC"
        " LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    return total, [dict(r) for r in rows]

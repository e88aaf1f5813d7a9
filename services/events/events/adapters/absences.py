"""SQL for absences ("Saisie d'un évènement"): record, read, edit, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db.types import Connection

EDITABLE = ("starts_at", "ends_at", "reason", "evidence", "reason_legitimate", "observed")


async def insert_absence(
    conn: Connection, uai: str, absence_id: UUID, v: dict[str, Any], actor: str
) -> None:
    await conn.execute(
        "INSERT INTO absences (id, uai, pupil_id, starts_at, ends_at, reason, evidence, observed,"
        " reason_legitimate, created_by) VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)",
        uai,
        absence_id,
        v["pupil_id"],
        v["starts_at"],
        v["ends_at"],
        v.get("reason"),
        v.get("evidence"),
        v.get("observed", True),
        v.get("reason_legitimate", False),
        actor,
    )


async def pupil_retired(conn: Connection, uai: str, pupil_id: UUID) -> bool | None:
    """Whether the pupil has left the school; None when the school has no such pupil."""
    retired: bool | None = await conn.fetchval(
        "SELECT retired_at IS NOT NULL FROM pupils WHERE uai = $1 AND id = $2", uai, pupil_id
    )
    return retired


ABSENCE_SELECT = """
    SELECT a.id, a.pupil_id, a.starts_at, a.ends_at, a.reason, a.evidence, a.reason_legitimate,
           a.observed, a.justified, a.created_at, a.created_by, a.updated_at,
           p.last_name, p.first_name, p.division
      FROM absences a JOIN pupils p ON p.id = a.pupil_id AND p.uai = a.uai
"""


async def get_absence(
    conn: Connection, uai: str, absence_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    """An absence not deleted; `lock` holds it until the transaction ends (edits, deletion)."""
    row = await conn.fetchrow(
        ABSENCE_SELECT
        + " WHERE a.uai = $1 AND a.id = $2 AND a.deleted_at IS NULL"
        + (" FOR UPDATE OF a" if lock else ""),
        uai,
        absence_id,
    )
    return dict(row) if row else None


async def list_absences(
    conn: Connection, uai: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        ABSENCE_SELECT + " WHERE a.uai = $1 AND a.deleted_at IS NULL"
        " ORDER BY a.starts_at DESC, a.id LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def update_absence(
    conn: Connection, uai: str, absence_id: UUID, values: dict[str, Any]
) -> None:
    """Write the editable fields (every one of EDITABLE must be in `values`)."""
    await conn.execute(
        "UPDATE absences SET starts_at = $3, ends_at = $4, reason = $5, evidence = $6,"
        " reason_legitimate = $7, observed = $8, updated_at = now()"
        " WHERE uai = $1 AND id = $2",
        uai,
        absence_id,
        *(values[f] for f in EDITABLE),
    )


async def mark_deleted(
    conn: Connection, uai: str, absence_id: UUID, actor: str, at: datetime
) -> bool:
    result: str = await conn.execute(
        "UPDATE absences SET deleted_at = $4, deleted_by = $3, updated_at = $4"
        " WHERE uai = $1 AND id = $2 AND deleted_at IS NULL",
        uai,
        absence_id,
        actor,
        at,
    )
    return result.endswith(" 1")

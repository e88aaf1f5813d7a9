"""SQL of the directory imports: a source's pupils and recipients, set-based writes, import runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from events.adapters.directory import PUPIL_COLUMNS, RECIPIENT_COLUMNS
from shared.db.types import Connection

# The columns an import or a staff edit writes on a recipient, in this order.
RECIPIENT_VALUES = (
    ("external_id", "text"),
    ("kind", "text"),
    ("position", "smallint"),
    ("role_label", "text"),
    ("name", "text"),
    ("imported_mobile", "text"),
    ("imported_problem", "text"),
    ("imported_phone_raw", "text"),
    ("imported_accepts_sms", "boolean"),
    ("mobile", "text"),
    ("accepts_sms", "boolean"),
    ("mobile_problem", "text"),
)
PUPIL_VALUES = (
    ("external_id", "text"),
    ("national_id", "text"),
    ("last_name", "text"),
    ("first_name", "text"),
    ("division", "text"),
)


def _columns(rows: Sequence[dict[str, Any]], spec: Sequence[tuple[str, str]]) -> list[list[Any]]:
    return [[row.get(name) for row in rows] for name, _type in spec]


def _unnest(spec: Sequence[tuple[str, str]], first: int) -> str:
    return ", ".join(f"${first + i}::{t}[]" for i, (_n, t) in enumerate(spec))


async def directory_of_source(
    conn: Connection, uai: str, source: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every pupil of one source (retired ones too) and the current recipients of those pupils."""
    pupils = await conn.fetch(
        f"SELECT {PUPIL_COLUMNS} FROM pupils p WHERE p.uai = $1 AND p.source = $2", uai, source
    )
    recipients = await conn.fetch(
        f"""
        SELECT {RECIPIENT_COLUMNS}
          FROM recipients r JOIN pupils p ON p.id = r.pupil_id AND p.uai = r.uai
         WHERE r.uai = $1 AND p.source = $2 AND r.retired_at IS NULL
        """,
        uai,
        source,
    )
    return [dict(p) for p in pupils], [dict(r) for r in recipients]


async def insert_imported_pupils(
    conn: Connection, uai: str, source: str, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    await conn.execute(
        f"""
        INSERT INTO pupils (uai, source, id, {", ".join(n for n, _t in PUPIL_VALUES)})
        SELECT $1, $2, * FROM unnest($3::uuid[], {_unnest(PUPIL_VALUES, 4)})
        """,
        uai,
        source,
        [r["id"] for r in rows],
        *_columns(rows, PUPIL_VALUES),
    )


async def update_imported_pupils(
    conn: Connection, uai: str, rows: Sequence[dict[str, Any]]
) -> None:
    """New values of imported pupils; a pupil who came back is no longer retired."""
    if not rows:
        return
    names = [n for n, _t in PUPIL_VALUES]
    await conn.execute(
        f"""
        UPDATE pupils p
           SET {", ".join(f"{n} = v.{n}" for n in names)}, retired_at = NULL, updated_at = now()
          FROM unnest($2::uuid[], {_unnest(PUPIL_VALUES, 3)}) AS v(id, {", ".join(names)})
         WHERE p.uai = $1 AND p.id = v.id
        """,
        uai,
        [r["id"] for r in rows],
        *_columns(rows, PUPIL_VALUES),
    )


async def retire_pupils(conn: Connection, uai: str, ids: Sequence[UUID]) -> None:
    if ids:
        await conn.execute(
            "UPDATE pupils SET retired_at = now(), updated_at = now()"
            " WHERE uai = $1 AND id = ANY($2::uuid[]) AND retired_at IS NULL",
            uai,
            list(ids),
        )


async def insert_imported_recipients(
    conn: Connection, uai: str, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    await conn.execute(
        f"""
        INSERT INTO recipients (uai, id, pupil_id, {", ".join(n for n, _t in RECIPIENT_VALUES)})
        SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], {_unnest(RECIPIENT_VALUES, 4)})
        """,
        uai,
        [r["id"] for r in rows],
        [r["pupil_id"] for r in rows],
        *_columns(rows, RECIPIENT_VALUES),
    )


async def update_imported_recipients(
    conn: Connection, uai: str, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    names = [n for n, _t in RECIPIENT_VALUES]
    await conn.execute(
        f"""
        UPDATE recipients r
           SET {", ".join(f"{n} = v.{n}" for n in names)}, updated_at = now()
          FROM unnest($2::uuid[], {_unnest(RECIPIENT_VALUES, 3)}) AS v(id, {", ".join(names)})
         WHERE r.uai = $1 AND r.id = v.id
        """,
        uai,
        [r["id"] for r in rows],
        *_columns(rows, RECIPIENT_VALUES),
    )


async def retire_recipients(conn: Connection, uai: str, ids: Sequence[UUID]) -> None:
    if ids:
        await conn.execute(
            "UPDATE recipients SET retired_at = now(), updated_at = now()"
            " WHERE uai = $1 AND id = ANY($2::uuid[]) AND retired_at IS NULL",
            uai,
            list(ids),
        )


async def insert_import_run(conn: Connection, uai: str, run: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO directory_imports (id, uai, actor, format, school_year, pupils_exported_on,"
        " guardians_exported_on, summary) VALUES ($2, $1, $3, $4, $5, $6, $7, $8)",
        uai,
        run["id"],
        run["actor"],
        run["format"],
        run.get("school_year"),
        run.get("pupils_exported_on"),
        run.get("guardians_exported_on"),
        run["summary"],
    )


async def latest_exports(conn: Connection, uai: str) -> dict[str, Any]:
    """The most recent export dates imported so far (pupils, guardians)."""
    row = await conn.fetchrow(
        "SELECT max(pupils_exported_on) AS pupils, max(guardians_exported_on) AS guardians"
        " FROM directory_imports WHERE uai = $1 AND format = 'siecle'",
        uai,
    )
    return dict(row) if row else {"pupils": None, "guardians": None}


async def import_runs(conn: Connection, uai: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, at, actor, format, school_year, pupils_exported_on, guardians_exported_on,"
        " summary FROM directory_imports WHERE uai = $1 ORDER BY at DESC LIMIT $2",
        uai,
        limit,
    )
    return [dict(r) for r in rows]

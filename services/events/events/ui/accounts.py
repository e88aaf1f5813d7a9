"""The staff accounts repository (table `staff_accounts`, migration 0007).

Signing in and creating accounts happen before a school is known (the login names it), so these
transactions declare an explicit all-schools scope for row-level security, with a reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.db.pool import set_all_schools_scope
from shared.db.types import Connection

COLUMNS = (
    "login, uai, role, display_name, password_hash, failed_attempts, locked_until, last_sign_in_at"
)


async def get_for_sign_in(conn: Connection, login: str) -> dict[str, Any] | None:
    """The account of `login`, row-locked until the transaction ends (failures are counted)."""
    await set_all_schools_scope(conn, "staff sign-in")
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM staff_accounts WHERE login = $1 FOR UPDATE", login
    )
    return dict(row) if row else None


async def record_failure(
    conn: Connection, login: str, failures: int, locked_until: datetime | None
) -> None:
    await conn.execute(
        "UPDATE staff_accounts SET failed_attempts = $2, locked_until = $3, updated_at = now()"
        " WHERE login = $1",
        login,
        failures,
        locked_until,
    )


async def record_success(conn: Connection, login: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL,"
        " last_sign_in_at = $2, updated_at = now() WHERE login = $1",
        login,
        at,
    )


async def upsert(conn: Connection, values: dict[str, Any]) -> bool:
    """Create the account or replace its role, school, name and password; True when created."""
    await set_all_schools_scope(conn, "staff account administration")
    created: bool = await conn.fetchval(
        "INSERT INTO staff_accounts (login, uai, role, display_name, password_hash)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (login) DO UPDATE SET uai = EXCLUDED.uai, role = EXCLUDED.role,"
        " display_name = EXCLUDED.display_name, password_hash = EXCLUDED.password_hash,"
        " failed_attempts = 0, locked_until = NULL, updated_at = now()"
        " RETURNING (xmax = 0)",
        values["login"],
        values["uai"],
        values["role"],
        values["display_name"],
        values["password_hash"],
    )
    return created

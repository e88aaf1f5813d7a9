"""SQL for schools and their provider settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.db.types import Connection

SCHOOL_FIELDS = (
    "name",
    "phone",
    "address",
    "sender_name",
    "territory",
    "time_zone",
    "phone_region",
    "school_year_start_month",
    "quiet_start",
    "quiet_end",
)


async def upsert_school(
    conn: Connection, uai: str, values: dict[str, Any], *, enabled_on_creation: bool
) -> None:
    """Write every field of `values` (all of SCHOOL_FIELDS); the green light is left as it is."""
    await conn.execute(
        """
        INSERT INTO schools (uai, name, phone, address, sender_name, territory, time_zone,
                             phone_region, school_year_start_month, quiet_start, quiet_end,
                             sms_enabled, sms_enabled_at, sms_enabled_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                CASE WHEN $12 THEN now() END, CASE WHEN $12 THEN 'creation' END)
        ON CONFLICT (uai) DO UPDATE SET
            name = EXCLUDED.name, phone = EXCLUDED.phone, address = EXCLUDED.address,
            sender_name = EXCLUDED.sender_name, territory = EXCLUDED.territory,
            time_zone = EXCLUDED.time_zone, phone_region = EXCLUDED.phone_region,
            school_year_start_month = EXCLUDED.school_year_start_month,
            quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end,
            updated_at = now()
        """,
        uai,
        *(values[f] for f in SCHOOL_FIELDS),
        enabled_on_creation,
    )


async def get_school(conn: Connection, uai: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT uai, " + ", ".join(SCHOOL_FIELDS) + ", sms_enabled, sms_enabled_at,"
        " sms_enabled_by, settings_version FROM schools WHERE uai = $1",
        uai,
    )
    return dict(row) if row else None


async def set_enabled(
    conn: Connection, uais: Sequence[str], enabled: bool, actor: str
) -> dict[str, bool]:
    """Give or withdraw the green light; returns {uai: changed} for the schools that exist."""
    rows = await conn.fetch(
        """
        WITH before AS (
            SELECT uai, sms_enabled FROM schools WHERE uai = ANY($1::text[]) FOR UPDATE
        ), changed AS (
            UPDATE schools s SET sms_enabled = $2,
                sms_enabled_at = CASE WHEN $2 THEN now() END,
                sms_enabled_by = CASE WHEN $2 THEN $3 END, updated_at = now()
            FROM before b WHERE s.uai = b.uai AND b.sms_enabled <> $2
            RETURNING s.uai
        )
        SELECT b.uai, (c.uai IS NOT NULL) AS changed
        FROM before b LEFT JOIN changed c ON c.uai = b.uai
        """,
        list(uais),
        enabled,
        actor,
    )
    return {r["uai"]: r["changed"] for r in rows}


async def lock_school_for_settings(conn: Connection, uai: str) -> int:
    """Bump and return the settings version (the row lock orders concurrent publications)."""
    version: int = await conn.fetchval(
        "UPDATE schools SET settings_version = settings_version + 1 WHERE uai = $1"
        " RETURNING settings_version",
        uai,
    )
    return version


async def get_provider(conn: Connection, uai: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT provider_code, account_key, password_encrypted, option1, option2,"
        " receipt_secret_encrypted, ca_approved_on, ca_reference, updated_at"
        " FROM provider_settings WHERE uai = $1",
        uai,
    )
    return dict(row) if row else None


async def upsert_provider(conn: Connection, uai: str, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO provider_settings (uai, provider_code, account_key, password_encrypted,
                                       option1, option2, receipt_secret_encrypted,
                                       ca_approved_on, ca_reference)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (uai) DO UPDATE SET
            provider_code = EXCLUDED.provider_code, account_key = EXCLUDED.account_key,
            password_encrypted = EXCLUDED.password_encrypted, option1 = EXCLUDED.option1,
            option2 = EXCLUDED.option2,
            receipt_secret_encrypted = EXCLUDED.receipt_secret_encrypted,
            ca_approved_on = EXCLUDED.ca_approved_on, ca_reference = EXCLUDED.ca_reference,
            updated_at = now()
        """,
        uai,
        values["provider_code"],
        values.get("account_key"),
        values.get("password_encrypted"),
        values.get("option1"),
        values.get("option2"),
        values.get("receipt_secret_encrypted"),
        values.get("ca_approved_on"),
        values.get("ca_reference"),
    )


async def delete_provider(conn: Connection, uai: str) -> None:
    await conn.execute("DELETE FROM provider_settings WHERE uai = $1", uai)

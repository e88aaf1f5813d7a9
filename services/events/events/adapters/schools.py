"""SQL for schools and their provider settings."""

from __future__ import annotations

from typing import Any

from shared.db.types import Connection


async def upsert_school(conn: Connection, uai: str, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO schools (uai, name, phone, sender_name, time_zone, phone_region,
                             school_year_start_month)
        VALUES ($1, $2, $3, $4, coalesce($5, 'Europe/Paris'), coalesce($6, 'FR'),
                coalesce($7, 9))
        ON CONFLICT (uai) DO UPDATE SET
            name = EXCLUDED.name, phone = EXCLUDED.phone, sender_name = EXCLUDED.sender_name,
            time_zone = coalesce($5, schools.time_zone),
            phone_region = coalesce($6, schools.phone_region),
            school_year_start_month = coalesce($7, schools.school_year_start_month),
            updated_at = now()
        """,
        uai,
        values["name"],
        values.get("phone"),
        values.get("sender_name"),
        values.get("time_zone"),
        values.get("phone_region"),
        values.get("school_year_start_month"),
    )


async def get_school(conn: Connection, uai: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT uai, name, phone, sender_name, time_zone, phone_region,"
        " school_year_start_month, sms_enabled, settings_version FROM schools WHERE uai = $1",
        uai,
    )
    return dict(row) if row else None


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
        " receipt_secret_encrypted, updated_at FROM provider_settings WHERE uai = $1",
        uai,
    )
    return dict(row) if row else None


async def upsert_provider(conn: Connection, uai: str, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO provider_settings (uai, provider_code, account_key, password_encrypted,
                                       option1, option2, receipt_secret_encrypted)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (uai) DO UPDATE SET
            provider_code = EXCLUDED.provider_code, account_key = EXCLUDED.account_key,
            password_encrypted = EXCLUDED.password_encrypted, option1 = EXCLUDED.option1,
            option2 = EXCLUDED.option2,
            receipt_secret_encrypted = EXCLUDED.receipt_secret_encrypted, updated_at = now()
        """,
        uai,
        values["provider_code"],
        values.get("account_key"),
        values.get("password_encrypted"),
        values.get("option1"),
        values.get("option2"),
        values.get("receipt_secret_encrypted"),
    )


async def delete_provider(conn: Connection, uai: str) -> None:
    await conn.execute("DELETE FROM provider_settings WHERE uai = $1", uai)

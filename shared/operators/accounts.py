"""Provider accounts materialised from `school.settings.v1`, for the services that call operators.

The topic is compacted and keyed by school: replaying it rebuilds the table. A settings message
older than the stored version (a replay, or a reordering) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.contracts import SchoolSettingsV1
from shared.crypto import SecretBox
from shared.db.types import Connection
from shared.operators.base import AccountConfig

ACCOUNTS_MIGRATIONS = ("provider-accounts", Path(__file__).parent / "migrations")


@dataclass(frozen=True)
class SchoolAccount:
    """A school's SMS settings and provider account as stored (password still encrypted)."""

    uai: str
    version: int
    name: str
    sms_enabled: bool
    sender_name: str | None
    time_zone: str
    school_year_start_month: int
    provider_code: str | None
    dialect: str | None
    base_url: str | None
    account_key: str | None
    password_encrypted: str | None
    option1: str | None
    option2: str | None
    receipt_secret_encrypted: str | None

    @property
    def has_provider(self) -> bool:
        return bool(self.provider_code and self.dialect and self.base_url)

    def config(self, box: SecretBox) -> AccountConfig:
        """The account with its password decrypted, for the adapter's call only."""
        if not (self.provider_code and self.dialect and self.base_url):
            raise ValueError(f"school {self.uai} has no provider account")
        return AccountConfig(
            uai=self.uai,
            provider_code=self.provider_code,
            dialect=self.dialect,
            base_url=self.base_url,
            key=self.account_key or "",
            password=box.decrypt_text(self.password_encrypted) if self.password_encrypted else "",
            option1=self.option1,
            option2=self.option2,
            sender_name=self.sender_name,
        )


async def apply_school_settings(conn: Connection, messages: Sequence[SchoolSettingsV1]) -> None:
    """Upsert the latest settings of each school in one statement."""
    latest: dict[str, SchoolSettingsV1] = {}
    for message in messages:
        known = latest.get(message.uai)
        if known is None or message.version >= known.version:
            latest[message.uai] = message
    rows = [_row(m) for m in latest.values()]
    if not rows:
        return
    await conn.executemany(
        """
        INSERT INTO provider_accounts (
            uai, version, name, sms_enabled, sender_name, time_zone, school_year_start_month,
            quiet_hours, provider_code, dialect, base_url, account_key, password_encrypted,
            option1, option2, receipt_secret_encrypted, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16, now())
        ON CONFLICT (uai) DO UPDATE SET
            version = EXCLUDED.version, name = EXCLUDED.name,
            sms_enabled = EXCLUDED.sms_enabled, sender_name = EXCLUDED.sender_name,
            time_zone = EXCLUDED.time_zone,
            school_year_start_month = EXCLUDED.school_year_start_month,
            quiet_hours = EXCLUDED.quiet_hours, provider_code = EXCLUDED.provider_code,
            dialect = EXCLUDED.dialect, base_url = EXCLUDED.base_url,
            account_key = EXCLUDED.account_key, password_encrypted = EXCLUDED.password_encrypted,
            option1 = EXCLUDED.option1, option2 = EXCLUDED.option2,
            receipt_secret_encrypted = EXCLUDED.receipt_secret_encrypted, updated_at = now()
        WHERE provider_accounts.version <= EXCLUDED.version
        """,
        rows,
    )


def _row(m: SchoolSettingsV1) -> tuple[Any, ...]:
    p = m.provider
    quiet = m.quiet_hours.model_dump(mode="json") if m.quiet_hours is not None else None
    return (
        m.uai,
        m.version,
        m.name,
        m.sms_enabled,
        m.sender_name,
        m.time_zone,
        m.school_year_start_month,
        quiet,
        p.provider_code if p else None,
        p.dialect if p else None,
        p.base_url if p else None,
        p.key if p else None,
        p.password_encrypted if p else None,
        p.option1 if p else None,
        p.option2 if p else None,
        p.receipt_secret_encrypted if p else None,
    )


async def load_accounts(conn: Connection, uais: Iterable[str]) -> dict[str, SchoolAccount]:
    """The stored accounts of these schools (schools never heard of are absent)."""
    rows = await conn.fetch(
        """
        SELECT uai, version, name, sms_enabled, sender_name, time_zone, school_year_start_month,
               provider_code, dialect, base_url, account_key, password_encrypted, option1,
               option2, receipt_secret_encrypted
          FROM provider_accounts WHERE uai = ANY($1::text[])
        """,
        sorted(set(uais)),
    )
    return {row["uai"]: SchoolAccount(**dict(row)) for row in rows}

"""Rotating the data encryption key: re-encrypt every stored operator secret with the newest key
and republish every school's settings, so that the services reading them follow.

Order of operations for an operator: put the new key first in `DATA_ENCRYPTION_KEYS` of every
service (old key still listed, so everything keeps decrypting), run the rotation, then remove the
old key once the dead-letter topics no longer hold messages encrypted with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from events.app.schools import publish_settings
from events.domain.providers import ProviderEntry
from shared.crypto import SecretBox
from shared.db.pool import set_all_schools_scope, set_tenant_scope


@dataclass(frozen=True)
class RotationReport:
    schools: int
    secrets: int


async def rotate_secrets(
    pool: asyncpg.Pool[Any], box: SecretBox, catalog: dict[str, ProviderEntry]
) -> RotationReport:
    """Re-encrypt every school's provider secrets with the first key, then republish settings."""
    async with pool.acquire() as conn, conn.transaction():
        await set_all_schools_scope(conn, "encryption key rotation")
        rows = await conn.fetch(
            "SELECT uai, password_encrypted, receipt_secret_encrypted FROM provider_settings"
            " ORDER BY uai FOR UPDATE"
        )
        updates = [
            (
                row["uai"],
                box.rotate(row["password_encrypted"]) if row["password_encrypted"] else None,
                box.rotate(row["receipt_secret_encrypted"])
                if row["receipt_secret_encrypted"]
                else None,
            )
            for row in rows
        ]
        await conn.executemany(
            "UPDATE provider_settings SET password_encrypted = $2, receipt_secret_encrypted = $3,"
            " updated_at = now() WHERE uai = $1",
            updates,
        )
        secrets = sum((u[1] is not None) + (u[2] is not None) for u in updates)
    for uai, _, _ in updates:
        async with pool.acquire() as conn, conn.transaction():
            await set_tenant_scope(conn, {uai})
            await publish_settings(conn, uai, catalog)
    return RotationReport(schools=len(updates), secrets=secrets)

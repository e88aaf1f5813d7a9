"""SQL for SMS actions, pupils and the people who may receive an SMS about them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from shared.db.types import Connection

ACTION_COLUMNS = (
    "id, code, label, response_delay_days, template, contact_phone, provider_account_code, active"
)


async def insert_action(conn: Connection, uai: str, action_id: UUID, v: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO actions (id, uai, code, label, response_delay_days, template,"
        " contact_phone, active, provider_account_code)"
        " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9)",
        uai,
        action_id,
        v["code"],
        v["label"],
        v["response_delay_days"],
        v["template"],
        v.get("contact_phone"),
        v.get("active", True),
        v.get("provider_account_code", 0),
    )


async def update_action(conn: Connection, uai: str, action_id: UUID, v: dict[str, Any]) -> bool:
    result: str = await conn.execute(
        "UPDATE actions SET code = $3, label = $4, response_delay_days = $5, template = $6,"
        " contact_phone = $7, active = $8, provider_account_code = $9"
        " WHERE uai = $1 AND id = $2",
        uai,
        action_id,
        v["code"],
        v["label"],
        v["response_delay_days"],
        v["template"],
        v.get("contact_phone"),
        v.get("active", True),
        v.get("provider_account_code", 0),
    )
    return result.endswith(" 1")


async def deactivate_action(conn: Connection, uai: str, action_id: UUID) -> bool:
    result: str = await conn.execute(
        "UPDATE actions SET active = false WHERE uai = $1 AND id = $2", uai, action_id
    )
    return result.endswith(" 1")


async def list_actions(conn: Connection, uai: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {ACTION_COLUMNS} FROM actions WHERE uai = $1 AND active ORDER BY code", uai
    )
    return [dict(r) for r in rows]


async def get_action(conn: Connection, uai: str, action_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {ACTION_COLUMNS} FROM actions WHERE uai = $1 AND id = $2", uai, action_id
    )
    return dict(row) if row else None


async def insert_pupil(
    conn: Connection,
    uai: str,
    pupil_id: UUID,
    pupil: dict[str, Any],
    recipients: Sequence[dict[str, Any]],
) -> None:
    await conn.execute(
        "INSERT INTO pupils (id, uai, last_name, first_name, division) VALUES ($2, $1, $3, $4, $5)",
        uai,
        pupil_id,
        pupil["last_name"],
        pupil["first_name"],
        pupil.get("division"),
    )
    await conn.executemany(
        "INSERT INTO recipients (id, uai, pupil_id, position, role_label, name, mobile,"
        " accepts_sms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (
                r["id"],
                uai,
                pupil_id,
                position,
                r["role_label"],
                r.get("name"),
                r.get("mobile"),
                r["accepts_sms"],
            )
            for position, r in enumerate(recipients)
        ],
    )


async def list_pupils(conn: Connection, uai: str, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, last_name, first_name, division FROM pupils WHERE uai = $1"
        " ORDER BY division NULLS LAST, last_name, first_name, id LIMIT $2 OFFSET $3",
        uai,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def get_pupil(conn: Connection, uai: str, pupil_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, last_name, first_name, division FROM pupils WHERE uai = $1 AND id = $2",
        uai,
        pupil_id,
    )
    return dict(row) if row else None


async def recipients_of(conn: Connection, uai: str, pupil_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, role_label, name, mobile, accepts_sms FROM recipients"
        " WHERE uai = $1 AND pupil_id = $2 ORDER BY position, id",
        uai,
        pupil_id,
    )
    return [dict(r) for r in rows]

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


PUPIL_COLUMNS = (
    "p.id, p.last_name, p.first_name, p.division, p.source, p.external_id, p.national_id,"
    " p.retired_at"
)
RECIPIENT_COLUMNS = (
    "r.id, r.pupil_id, r.kind, r.position, r.role_label, r.name, r.mobile, r.accepts_sms,"
    " r.mobile_problem, r.external_id, r.imported_mobile, r.imported_problem,"
    " r.imported_phone_raw, r.imported_accepts_sms, r.staff_mobile_set, r.staff_mobile,"
    " r.staff_accepts_sms"
)


async def insert_pupil(
    conn: Connection,
    uai: str,
    pupil_id: UUID,
    pupil: dict[str, Any],
    recipients: Sequence[dict[str, Any]],
) -> None:
    """A pupil typed by staff, with recipients whose values are the staff's."""
    await conn.execute(
        "INSERT INTO pupils (id, uai, last_name, first_name, division, source)"
        " VALUES ($2, $1, $3, $4, $5, 'staff')",
        uai,
        pupil_id,
        pupil["last_name"],
        pupil["first_name"],
        pupil.get("division"),
    )
    await insert_staff_recipients(conn, uai, pupil_id, recipients)


async def insert_staff_recipients(
    conn: Connection, uai: str, pupil_id: UUID, recipients: Sequence[dict[str, Any]]
) -> None:
    """Recipients typed by staff: their number and opt-in are the staff's values."""
    if not recipients:
        return
    await conn.execute(
        """
        INSERT INTO recipients (uai, pupil_id, id, position, role_label, kind, name, mobile,
                                accepts_sms, staff_mobile_set, staff_mobile, staff_accepts_sms)
        SELECT $1, $2, r.id, r.position, r.role_label, r.kind, r.name, r.mobile, r.accepts_sms,
               true, r.mobile, r.accepts_sms
          FROM unnest($3::uuid[], $4::smallint[], $5::text[], $6::text[], $7::text[],
                      $8::text[], $9::boolean[])
               AS r(id, position, role_label, kind, name, mobile, accepts_sms)
        """,
        uai,
        pupil_id,
        [r["id"] for r in recipients],
        [r["position"] for r in recipients],
        [r["role_label"] for r in recipients],
        [r.get("kind", "guardian") for r in recipients],
        [r.get("name") for r in recipients],
        [r.get("mobile") for r in recipients],
        [r["accepts_sms"] for r in recipients],
    )


async def update_pupil(conn: Connection, uai: str, pupil_id: UUID, v: dict[str, Any]) -> bool:
    result: str = await conn.execute(
        "UPDATE pupils SET last_name = $3, first_name = $4, division = $5, updated_at = now()"
        " WHERE uai = $1 AND id = $2 AND retired_at IS NULL",
        uai,
        pupil_id,
        v["last_name"],
        v["first_name"],
        v.get("division"),
    )
    return result.endswith(" 1")


async def retire_pupil(conn: Connection, uai: str, pupil_id: UUID) -> bool:
    result: str = await conn.execute(
        "UPDATE pupils SET retired_at = now(), updated_at = now()"
        " WHERE uai = $1 AND id = $2 AND retired_at IS NULL",
        uai,
        pupil_id,
    )
    return result.endswith(" 1")


# The same folding as the generated column pupils.search_name (migration 0005).
_SEARCHABLE = (
    "replace(replace(translate(lower({}), 'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ',"
    " 'aaaaaaceeeeiiiinooooouuuuyy'), 'œ', 'oe'), 'æ', 'ae')"
)


def _filters(division: str | None, search: str | None) -> tuple[str, list[Any]]:
    sql, args = "", []
    if division is not None:
        args.append(division)
        sql += f" AND p.division IS NOT DISTINCT FROM ${len(args) + 1}"
    for word in (search or "").split():
        args.append(word)
        sql += f" AND strpos(p.search_name, {_SEARCHABLE.format(f'${len(args) + 1}')}) > 0"
    return sql, args


async def list_pupils(
    conn: Connection,
    uai: str,
    limit: int,
    offset: int,
    *,
    division: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """Current pupils by division then name, with whether any recipient may receive an SMS."""
    where, args = _filters(division, search)
    n = len(args) + 2
    rows = await conn.fetch(
        f"""
        SELECT p.id, p.last_name, p.first_name, p.division, p.source,
               EXISTS (SELECT 1 FROM recipients r
                        WHERE r.uai = p.uai AND r.pupil_id = p.id AND r.retired_at IS NULL
                          AND r.mobile IS NOT NULL AND r.accepts_sms) AS sms_possible
          FROM pupils p
         WHERE p.uai = $1 AND p.retired_at IS NULL{where}
         ORDER BY p.division NULLS LAST, p.last_name, p.first_name, p.id
         LIMIT ${n} OFFSET ${n + 1}
        """,
        uai,
        *args,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def count_pupils(
    conn: Connection, uai: str, *, division: str | None = None, search: str | None = None
) -> int:
    where, args = _filters(division, search)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM pupils p WHERE p.uai = $1 AND p.retired_at IS NULL{where}",
        uai,
        *args,
    )
    return total


async def divisions(conn: Connection, uai: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT division, count(*) AS pupils FROM pupils"
        " WHERE uai = $1 AND retired_at IS NULL"
        " GROUP BY division ORDER BY division NULLS LAST",
        uai,
    )
    return [dict(r) for r in rows]


async def get_pupil(conn: Connection, uai: str, pupil_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {PUPIL_COLUMNS} FROM pupils p WHERE p.uai = $1 AND p.id = $2", uai, pupil_id
    )
    return dict(row) if row else None


async def recipients_of(conn: Connection, uai: str, pupil_id: UUID) -> list[dict[str, Any]]:
    """The pupil's current recipients; `retired` says the pupil has left (no SMS any more)."""
    rows = await conn.fetch(
        f"""
        SELECT {RECIPIENT_COLUMNS}, p.retired_at IS NOT NULL AS retired
          FROM recipients r JOIN pupils p ON p.id = r.pupil_id AND p.uai = r.uai
         WHERE r.uai = $1 AND r.pupil_id = $2 AND r.retired_at IS NULL
         ORDER BY r.position, r.id
        """,
        uai,
        pupil_id,
    )
    return [dict(r) for r in rows]


async def recipients_of_pupils(
    conn: Connection, uai: str, pupil_ids: Sequence[UUID]
) -> list[dict[str, Any]]:
    """The current recipients of several pupils in one query (Diffuser checks them all again)."""
    rows = await conn.fetch(
        f"""
        SELECT {RECIPIENT_COLUMNS}, p.retired_at IS NOT NULL AS retired
          FROM recipients r JOIN pupils p ON p.id = r.pupil_id AND p.uai = r.uai
         WHERE r.uai = $1 AND r.pupil_id = ANY($2::uuid[]) AND r.retired_at IS NULL
         ORDER BY r.pupil_id, r.position, r.id
        """,
        uai,
        list(pupil_ids),
    )
    return [dict(r) for r in rows]


async def get_recipient(
    conn: Connection, uai: str, pupil_id: UUID, recipient_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""
        SELECT {RECIPIENT_COLUMNS}, p.retired_at IS NOT NULL AS retired
          FROM recipients r JOIN pupils p ON p.id = r.pupil_id AND p.uai = r.uai
         WHERE r.uai = $1 AND r.pupil_id = $2 AND r.id = $3 AND r.retired_at IS NULL
        """,
        uai,
        pupil_id,
        recipient_id,
    )
    return dict(row) if row else None


async def update_recipient(
    conn: Connection, uai: str, recipient_id: UUID, v: dict[str, Any]
) -> None:
    """A staff edit: role, name, the staff's number and opt-in, and the values SMS use."""
    await conn.execute(
        """
        UPDATE recipients
           SET role_label = $3, name = $4, staff_mobile_set = $5, staff_mobile = $6,
               staff_accepts_sms = $7, mobile = $8, accepts_sms = $9, mobile_problem = $10,
               updated_at = now()
         WHERE uai = $1 AND id = $2
        """,
        uai,
        recipient_id,
        v["role_label"],
        v["name"],
        v["staff_mobile_set"],
        v["staff_mobile"],
        v["staff_accepts_sms"],
        v["mobile"],
        v["accepts_sms"],
        v["mobile_problem"],
    )


async def retire_recipient(conn: Connection, uai: str, pupil_id: UUID, recipient_id: UUID) -> bool:
    result: str = await conn.execute(
        "UPDATE recipients SET retired_at = now(), updated_at = now()"
        " WHERE uai = $1 AND pupil_id = $2 AND id = $3 AND retired_at IS NULL",
        uai,
        pupil_id,
        recipient_id,
    )
    return result.endswith(" 1")


async def next_position(conn: Connection, uai: str, pupil_id: UUID) -> int:
    found: int = await conn.fetchval(
        "SELECT coalesce(max(position), 0) + 1 FROM recipients WHERE uai = $1 AND pupil_id = $2",
        uai,
        pupil_id,
    )
    return found

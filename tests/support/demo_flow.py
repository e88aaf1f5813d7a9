"""Steps of the demo walkthrough shared by the end-to-end tests: one SMS diffused to Léa MARTIN's
"Légal 1 - Financier", and what the dispatcher knows of the demo school's account."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from localinfra.demo import DEMO_UAI


async def dispatcher_knows(isolation: Any, dialect: str) -> bool:
    """The dispatcher has materialised the school's new account (settings travel on their own
    topic: an SMS diffused before would still go to the previous operator). Read as the server's
    administrator, beside the services' row-level security."""
    database = isolation.infra.owner_dsn.rsplit("/", 1)[1]
    conn = await asyncpg.connect(isolation.infra.admin_dsn, database=database)
    try:
        found = await conn.fetchval(
            f'SELECT dialect FROM "{isolation.schema}_dispatcher".provider_accounts WHERE uai = $1',
            DEMO_UAI,
        )
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return bool(found == dialect)


LEGAL_1 = "Légal 1 - Financier"


async def lea_absence_sms(
    api: httpx.AsyncClient, school: str, *, roles: tuple[str, ...] | None = (LEGAL_1,)
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Léa MARTIN absent this morning, and the demo's SMS action for her recipients with these
    roles (all of them when None), waiting to be diffused: (the absence, the SMS created)."""
    pupils = (await api.get(f"{school}/pupils")).json()
    lea = next(p for p in pupils if p["first_name"] == "Léa")
    recipients = (await api.get(f"{school}/pupils/{lea['id']}")).json()["recipients"]
    chosen = [r["id"] for r in recipients if roles is None or r["role_label"] in roles]
    action = next(a for a in (await api.get(f"{school}/actions")).json() if a["code"] == "SMS")
    absence = (
        await api.post(
            f"{school}/absences",
            json={
                "pupil_id": lea["id"],
                "starts_at": "2026-11-30T08:30:00+01:00",
                "ends_at": "2026-11-30T12:30:00+01:00",
            },
        )
    ).json()
    created = (
        await api.post(
            f"{school}/absences/{absence['id']}/sms",
            json={"action_id": action["id"], "recipient_ids": chosen},
        )
    ).json()
    return absence, created


async def diffuse_one(api: httpx.AsyncClient, school: str) -> tuple[str, dict[str, Any]]:
    """One SMS to Léa MARTIN's "Légal 1 - Financier", diffused: (its id, the SMS created)."""
    _, created = await lea_absence_sms(api, school)
    [sms_id] = created["created"]
    answer = await api.post(f"{school}/sms/diffuse", json={"ids": [sms_id]})
    assert answer.json()["diffused"] == [sms_id], answer.text
    return sms_id, created

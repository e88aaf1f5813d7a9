"""The demo switched to each certified operator's dialect (spoken by the simulator) by changing
the school's provider: the walkthrough still ends "délivré" where the operator tells delivery
(Envoyer SMS Pro's stats), and "envoyé, sans accusé" where it does not (PLURIWARE, DIGITALEO)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from support.kafka_probe import eventually
from support.running_platform import Platform, start_platform

from localinfra.demo import DEMO_ACCOUNT, DEMO_UAI, DIALECT_OPERATORS, provider_body, seed_demo

EXPECTED = {
    "envoyersmspro": ("delivered", "délivré"),
    "pluriware": ("in_progress", "envoyé, sans accusé"),
    "digitaleo": ("in_progress", "envoyé, sans accusé"),
}


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    async for running in start_platform(isolation, logs_dir):
        yield running


async def dispatcher_knows(isolation: Any, dialect: str) -> bool:
    """The dispatcher has materialised the school's new account (settings travel on their own
    topic: an SMS diffused before would still go to the previous operator). Read as the server's
    administrator, beside the services' row-level security."""
    database = isolation.infra.owner_dsn.rsplit("/", 1)[1]
    conn = await asyncpg.connect(isolation.infra.admin_dsn, database=database)
    try:
        found = await conn.fetchval(
            f'SELECT dialect FROM "{isolation.schema}_dispatcher".provider_accounts'
            " WHERE uai = $1",
            DEMO_UAI,
        )
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return bool(found == dialect)


async def diffuse_one(api: httpx.AsyncClient, school: str) -> tuple[str, dict[str, Any]]:
    pupils = (await api.get(f"{school}/pupils")).json()
    lea = next(p for p in pupils if p["first_name"] == "Léa")
    pupil = (await api.get(f"{school}/pupils/{lea['id']}")).json()
    legal1 = next(r for r in pupil["recipients"] if r["role_label"] == "Légal 1 - Financier")
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
            json={"action_id": action["id"], "recipient_ids": [legal1["id"]]},
        )
    ).json()
    [sms_id] = created["created"]
    answer = await api.post(f"{school}/sms/diffuse", json={"ids": [sms_id]})
    assert answer.json()["diffused"] == [sms_id], answer.text
    return sms_id, created


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_the_demo_runs_through_each_certified_dialect(
    platform: Platform, isolation: Any
) -> None:
    events, reporting, simulator = (
        platform.urls["events"],
        platform.urls["reporting"],
        platform.urls["simulator"],
    )
    password = await seed_demo(events, simulator, delivery_delay_s=0.5)
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    async with httpx.AsyncClient(headers=platform.headers(), timeout=15) as api:
        for dialect, (tab, label) in EXPECTED.items():
            saved = await api.put(f"{school}/provider", json=provider_body(dialect, password))
            assert saved.status_code == 200, saved.text
            assert saved.json()["provider_code"] == DIALECT_OPERATORS[dialect]
            tested = (await api.post(f"{school}/provider/test")).json()
            assert tested["outcome"] == "success", (dialect, tested)

            async def switched(dialect: str = dialect) -> bool:
                return await dispatcher_knows(isolation, dialect)

            await eventually(switched, timeout=60, interval=0.3)
            sms_id, created = await diffuse_one(api, school)

            async def final(sms_id: str = sms_id, tab: str = tab, label: str = label) -> bool:
                answer = await api.get(
                    f"{reporting}/api/v1/schools/{DEMO_UAI}/sms", params={"tab": tab}
                )
                items = answer.json()["items"] if answer.status_code == 200 else []
                return any(i["sms_id"] == sms_id and i["state_label"] == label for i in items)

            await eventually(final, timeout=120, interval=0.5)

            async with httpx.AsyncClient(timeout=10) as control:
                received = (
                    await control.get(
                        f"{simulator}/_control/submissions", params={"account": DEMO_ACCOUNT}
                    )
                ).json()
            through = [r for r in received if r.get("dialect") == dialect]
            assert len(through) == 1, (dialect, received)
            assert through[0]["to"] == "+33600000001"
            assert through[0]["text"] == created["text"]

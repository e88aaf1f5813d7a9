"""The demo switched to each certified operator's dialect (spoken by the simulator) by changing
the school's provider: the walkthrough still ends "délivré" where the operator tells delivery
(Envoyer SMS Pro's stats), and "envoyé, sans accusé" where it does not (PLURIWARE, DIGITALEO)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support.demo_flow import diffuse_one, dispatcher_knows
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

"""The README's walkthrough, end to end: every service and the simulator as real processes on
the session's real Kafka and PostgreSQL, the operator reached over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from support.demo_flow import lea_absence_sms
from support.kafka_probe import eventually
from support.running_platform import Platform, start_platform

from localinfra.demo import DEMO_UAI, seed_demo


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    async for running in start_platform(isolation, logs_dir):
        yield running


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_an_absence_sms_goes_from_diffuser_to_delivered_in_the_synthesis(
    platform: Platform,
) -> None:
    events, reporting, simulator = (
        platform.urls["events"],
        platform.urls["reporting"],
        platform.urls["simulator"],
    )
    await seed_demo(events, simulator, delivery_delay_s=1.0)
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    async with httpx.AsyncClient(headers=platform.headers(), timeout=10) as api:
        absence, created = await lea_absence_sms(api, school)
        [sms_id] = created["created"]
        pending = (await api.get(f"{school}/sms/pending")).json()
        assert [i["sms_id"] for i in pending["items"]] == [sms_id]
        diffused = (await api.post(f"{school}/sms/diffuse", json={"ids": [sms_id]})).json()
        assert diffused["diffused"] == [sms_id]

        async def delivered_in_reporting() -> bool:
            answer = await api.get(
                f"{reporting}/api/v1/schools/{DEMO_UAI}/sms", params={"tab": "delivered"}
            )
            return answer.status_code == 200 and [i["sms_id"] for i in answer.json()["items"]] == [
                sms_id
            ]

        await eventually(delivered_in_reporting, timeout=90, interval=0.5)
        delivered = (
            await api.get(f"{reporting}/api/v1/schools/{DEMO_UAI}/sms", params={"tab": "delivered"})
        ).json()
        [item] = delivered["items"]
        assert item["state_label"] == "délivré"
        assert item["recipient"] == "Légal 1 - Financier"
        assert " - délivré - " in item["status_line"]

        year = school_year(datetime.now())
        synthesis = (
            await api.get(
                f"{reporting}/api/v1/schools/{DEMO_UAI}/sms/synthesis", params={"school_year": year}
            )
        ).json()
        assert synthesis["year"]["delivered"] == 1
        assert synthesis["year"]["total"] == 1

        async def delivered_in_history() -> bool:
            history = (await api.get(f"{school}/absences/{absence['id']}")).json()["history"]
            return [h["state_label"] for h in history] == ["délivré"]

        await eventually(delivered_in_history, timeout=30, interval=0.5)

    async with httpx.AsyncClient(timeout=10) as control:
        received: list[dict[str, Any]] = (
            await control.get(
                f"{simulator}/_control/submissions", params={"account": "demo-0750001A"}
            )
        ).json()
    assert len(received) == 1, received
    assert received[0]["to"] == "+33600000001"
    assert received[0]["text"] == created["text"]
    assert received[0]["client_ref"] == sms_id


def school_year(now: datetime) -> int:
    return now.year if now.month >= 9 else now.year - 1

"""Historique des actions with every service running: a real SMS goes from Diffuser through the
dispatcher, the operator simulator and the status-poller, over Kafka, to "délivré" in the
absence's history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

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
async def test_the_history_line_of_a_real_sms_ends_delivered(platform: Platform) -> None:
    events, simulator = platform.urls["events"], platform.urls["simulator"]
    await seed_demo(events, simulator, delivery_delay_s=1.0)
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    async with httpx.AsyncClient(headers=platform.headers(), timeout=10) as api:
        absence, created = await lea_absence_sms(api, school)
        before = today()
        diffused = (await api.post(f"{school}/sms/diffuse", json={"all": True})).json()
        assert diffused["diffused"] == created["created"]
        # The day it left, in the school's time zone (either side of a midnight during the call).
        expected = {f"SMS - Légal 1 - Financier - {day} - délivré" for day in (before, today())}

        async def delivered() -> bool:
            history = (await api.get(f"{school}/absences/{absence['id']}")).json()["history"]
            return len(history) == 1 and history[0]["line"] in expected

        await eventually(delivered, timeout=120, interval=0.5)


def today() -> str:
    return datetime.now(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y")

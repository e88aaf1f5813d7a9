"""An SMS whose answer was lost (PLURIWARE's answer cut short: the operator may have it, and
cannot be asked) becomes "à vérifier" in every service; staff press "Renvoyer" and it is sent once
more, explicitly; another, "Considérer comme envoyé", ends "envoyé, sans accusé" in reporting."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from support.demo_flow import diffuse_one, dispatcher_knows
from support.kafka_probe import eventually
from support.running_platform import Platform, start_platform

from localinfra.demo import DEMO_ACCOUNT, DEMO_UAI, provider_body, seed_demo


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    # An unknown outcome is settled once `sending_timeout_s` has passed (two minutes by default).
    async for running in start_platform(
        isolation, logs_dir, sending_timeout_s="4", operator_timeout_s="2"
    ):
        yield running


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_staff_resend_one_sms_a_verifier_and_keep_another_as_sent(
    platform: Platform, isolation
) -> None:
    events, reporting, simulator = (
        platform.urls["events"],
        platform.urls["reporting"],
        platform.urls["simulator"],
    )
    password = await seed_demo(events, simulator, delivery_delay_s=0.5)
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    control = httpx.AsyncClient(base_url=simulator, timeout=10)
    async with control, httpx.AsyncClient(headers=platform.headers(), timeout=15) as api:
        saved = await api.put(f"{school}/provider", json=provider_body("pluriware", password))
        assert saved.status_code == 200, saved.text

        async def switched() -> bool:
            return await dispatcher_knows(isolation, "pluriware")

        await eventually(switched, timeout=60, interval=0.3)
        # The operator processes the sends but its answers arrive cut short.
        (await control.put(f"/_control/accounts/{DEMO_ACCOUNT}", json={"malformed": True}))
        first, _ = await diffuse_one(api, school)
        second, _ = await diffuse_one(api, school)

        async def both_a_verifier() -> bool:
            listed = (await api.get(f"{school}/sms/unconfirmed")).json()
            return {i["id"] for i in listed["items"]} == {first, second}

        await eventually(both_a_verifier, timeout=90, interval=0.5)
        (await control.put(f"/_control/accounts/{DEMO_ACCOUNT}", json={"malformed": False}))
        resend = await api.post(
            f"{school}/sms/resolve", json={"sms_ids": [first], "decision": "resend"}
        )
        keep = await api.post(
            f"{school}/sms/resolve", json={"sms_ids": [second], "decision": "keep_as_sent"}
        )
        assert resend.json()["resolved"] == 1 and keep.json()["resolved"] == 1

        async def settled_in_reporting() -> bool:
            answer = await api.get(
                f"{reporting}/api/v1/schools/{DEMO_UAI}/sms", params={"tab": "in_progress"}
            )
            if answer.status_code != 200:
                return False
            labels = {i["sms_id"]: i["state_label"] for i in answer.json()["items"]}
            return labels.get(first) == labels.get(second) == "envoyé, sans accusé"

        await eventually(settled_in_reporting, timeout=120, interval=0.5)
        assert (await api.get(f"{school}/sms/unconfirmed")).json()["count"] == 0
        received = (
            await control.get("/_control/submissions", params={"account": DEMO_ACCOUNT})
        ).json()
    sends = [r for r in received if r.get("dialect") == "pluriware"]
    texts_to = [r["to"] for r in sends]
    # The first was sent twice (the lost answer, then staff's resend); the second once.
    assert len(sends) == 3, received
    assert texts_to.count("+33600000001") == 3

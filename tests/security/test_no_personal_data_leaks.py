"""Canary values (a pupil's name, a phone number, an operator password, a token) go through the
whole flow with every service logging at DEBUG; none may appear in any process's output, in
`/metrics` or in the dead-letter topics (masked forms such as +336******77 are fine)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from support.kafka_probe import eventually, read_all
from support.running_platform import Platform, start_platform

from localinfra.demo import DEMO_UAI
from shared.auth import Role, TokenService
from shared.contracts.topics import all_topic_specs
from shared.settings import LOCAL_TOKEN_SIGNING_KEY

CANARY_NAME = "Zéphyrine"
CANARY_LAST_NAME = "QUARTZCANARI"
CANARY_PHONE = "+33600000077"
CANARY_PHONE_NATIONAL = "0600000077"
CANARY_PASSWORD = "canary-Pw-9f3bX"


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    async for running in start_platform(isolation, logs_dir, log_level="DEBUG"):
        yield running


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_no_canary_value_leaks_into_logs_metrics_or_dead_letters(
    platform: Platform, isolation, infra, logs_dir
) -> None:
    events, simulator = platform.urls["events"], platform.urls["simulator"]
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    headers = platform.headers()
    token = headers["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(timeout=10) as control:
        await control.put(
            f"{simulator}/_control/accounts/canary",
            json={"password": CANARY_PASSWORD, "delivery_delay_s": 0.5},
        )
    async with httpx.AsyncClient(headers=headers, timeout=10) as api:
        rectorat = TokenService(LOCAL_TOKEN_SIGNING_KEY).mint("rectorat", Role.ACADEMIE_ADMIN)
        admin = {"Authorization": f"Bearer {rectorat}"}
        assert (
            await api.put(
                school, headers=admin, json={"name": "Collège Canari", "sender_name": "CANARI"}
            )
        ).status_code == 200
        enable = f"{events}/api/v1/academie/schools/enable"
        assert (await api.post(enable, headers=admin, json={"uais": [DEMO_UAI]})).status_code == 200
        assert (
            await api.put(
                f"{school}/provider",
                headers=admin,
                json={"provider_code": "SIMULATEUR", "key": "canary", "password": CANARY_PASSWORD},
            )
        ).status_code == 200
        action = (
            await api.post(
                f"{school}/actions",
                json={
                    "code": "SMS",
                    "label": "Envoi de SMS",
                    "template": "Absence de {eleve} le {debut}.",
                },
            )
        ).json()
        pupil = (
            await api.post(
                f"{school}/pupils",
                json={
                    "last_name": CANARY_LAST_NAME,
                    "first_name": CANARY_NAME,
                    "division": "5D",
                    "recipients": [
                        {
                            "role_label": "Légal 1",
                            "name": f"Mme {CANARY_LAST_NAME}",
                            "mobile": CANARY_PHONE_NATIONAL,
                            "accepts_sms": True,
                        }
                    ],
                },
            )
        ).json()
        absence = (
            await api.post(
                f"{school}/absences",
                json={
                    "pupil_id": pupil["id"],
                    "starts_at": "2026-11-30T08:30:00+01:00",
                    "ends_at": "2026-11-30T10:30:00+01:00",
                },
            )
        ).json()
        await api.post(
            f"{school}/absences/{absence['id']}/sms",
            json={"action_id": action["id"], "recipient_ids": [pupil["recipients"][0]["id"]]},
        )
        assert (await api.post(f"{school}/sms/diffuse", json={"all": True})).status_code == 200
        # A malformed request carrying the canaries must not echo them either.
        bad = await api.post(
            f"{school}/pupils",
            json={
                "last_name": CANARY_LAST_NAME,
                "recipients": [
                    {"role_label": "Légal 1", "mobile": CANARY_PHONE, "accepts_sms": "maybe"}
                ],
            },
        )
        assert bad.status_code == 422
        assert CANARY_PHONE not in bad.text

        async def delivered() -> bool:
            history = (await api.get(f"{school}/absences/{absence['id']}")).json()["history"]
            return [h["state"] for h in history] == ["delivered"]

        await eventually(delivered, timeout=90, interval=0.5)

    # A poison message holding the canaries, so that a dead letter is written and inspected.
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            isolation.prefix + "sms.requested.v1",
            f'{{"pupil_name": "{CANARY_NAME}", "recipient_phone": "{CANARY_PHONE}"'.encode(),
            key=DEMO_UAI.encode(),
        )
    finally:
        await producer.stop()
    dlq = isolation.prefix + "sms.requested.v1.dispatcher.dlq"

    async def dead_lettered() -> bool:
        return len(await read_all(infra.kafka_bootstrap, dlq, settle=0)) >= 1

    await eventually(dead_lettered, timeout=120, interval=1)

    haystacks: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for name, url in platform.urls.items():
            if name != "simulator":
                haystacks[f"{name} /metrics"] = (await client.get(f"{url}/metrics")).text
    for spec in all_topic_specs():
        if spec.name.endswith(".dlq"):
            records = await read_all(infra.kafka_bootstrap, isolation.prefix + spec.name, settle=0)
            haystacks[spec.name] = "\n".join(r.value.decode(errors="replace") for r in records)
    for process in platform.processes:
        assert process.log_path is not None
        haystacks[f"{process.name} log"] = process.log_path.read_text(errors="replace")
    assert sum(len(h) for h in haystacks.values()) > 10_000, "suspiciously little output to scan"

    canaries = [
        CANARY_NAME,
        CANARY_LAST_NAME,
        CANARY_PHONE,
        CANARY_PHONE_NATIONAL,
        "600000077",
        CANARY_PASSWORD,
        token,
    ]
    leaks = [
        (where, canary)
        for where, text in haystacks.items()
        for canary in canaries
        if canary in text
    ]
    assert not leaks, leaks

"""Reporting end to end on the real broker: the four topics in, the tabs and the synthesis out,
"Mettre à jour" published on sms.refresh.v1."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from reporting_support import (
    DIFFUSED,
    OTHER_UAI,
    UAI,
    rejected,
    requested,
    status,
    submitted,
    token,
)
from support.kafka_probe import eventually, group_caught_up, read_all

from reporting.main import CONSUMER_GROUP, build_app
from reporting.settings import ReportingSettings
from shared.contracts import Envelope, encode
from shared.contracts.topics import (
    SMS_REFRESH,
    SMS_REJECTED,
    SMS_REQUESTED,
    SMS_STATUS,
    SMS_SUBMITTED,
)

BASE = f"/api/v1/schools/{UAI}/sms"


async def publish(bootstrap: str, prefix: str, messages: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(
                prefix + message.TOPIC, encode(message), key=message.kafka_key
            )
    finally:
        await producer.stop()


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_the_four_topics_feed_the_tabs_and_the_synthesis(infra, isolation, topics) -> None:
    await topics()
    settings = isolation.settings(ReportingSettings)
    at = DIFFUSED
    delivered, in_transit, invalid, late, other = (uuid4() for _ in range(5))
    first_wave: list[Envelope] = [
        # Facts about one SMS come in any order: here its delivery before its request.
        status(delivered, "delivered", provider_message_id="716578"),
        submitted(delivered, provider_message_id="716578"),
        requested(delivered, diffused_at=at),
        requested(in_transit, diffused_at=at + timedelta(minutes=1)),
        submitted(in_transit, submitted_at=at + timedelta(minutes=1, seconds=5)),
        rejected(invalid),
        requested(invalid, diffused_at=at + timedelta(minutes=2), pupil_name="DURAND Paul"),
        status(invalid, "invalid", reason_code="invalid_number", provider_message_id=None),
        requested(late, diffused_at=at + timedelta(minutes=3)),
        requested(other, uai=OTHER_UAI, pupil_name="AUTRE Élève"),
        status(other, "delivered", uai=OTHER_UAI),
    ]
    replay = first_wave[2]
    # A duplicate (same message id, absorbed by the inbox) and a republication (new id).
    first_wave += [replay, replay.model_copy(update={"message_id": uuid4()})]
    assert {m.TOPIC for m in first_wave} == {
        SMS_REQUESTED,
        SMS_SUBMITTED,
        SMS_REJECTED,
        SMS_STATUS,
    }
    await publish(infra.kafka_bootstrap, isolation.prefix, first_wave)

    app = build_app(settings)
    headers = {"Authorization": f"Bearer {token(settings)}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
        ) as client,
    ):

        async def tab(name: str) -> dict[str, Any]:
            response = await client.get(BASE, params={"tab": name})
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async def all_four_listed() -> bool:
            body = await tab("all")
            states = {item["state"] for item in body["items"]}
            return body["count"] == 4 and "queued" in states and "in_transit" in states

        await eventually(all_four_listed, timeout=60)

        progress = await tab("in_progress")
        assert [i["sms_id"] for i in progress["items"]] == [str(late), str(in_transit)]
        assert progress["items"][1]["status_line"] == (
            "Msg 719573 - en transit - 13/09/2011 à 15:45"
        )
        assert progress["message"] == "Il y a actuellement 2 SMS"
        done = await tab("delivered")
        assert [i["sms_id"] for i in done["items"]] == [str(delivered)]
        assert done["items"][0]["pupil_name"] == "MARTIN Lucas"
        failed = await tab("invalid_or_undelivered")
        [item] = failed["items"]
        assert (item["pupil_name"], item["reason_code"]) == ("DURAND Paul", "invalid_number")
        assert item["reason_message"].startswith("Le numéro de téléphone")

        synthesis = (await client.get(f"{BASE}/synthesis", params={"school_year": 2011})).json()
        assert synthesis["months"] == [
            {"month": "2011-09", "label": "Total septembre", "delivered": 1, "total": 4}
        ]
        assert synthesis["year"] == {"label": "Total Annuel", "delivered": 1, "total": 4}

        # Later news, while the service runs: the SMS in transit is delivered.
        await publish(
            infra.kafka_bootstrap,
            isolation.prefix,
            [status(in_transit, "delivered", changed_at=at + timedelta(minutes=4))],
        )

        async def two_delivered() -> bool:
            return (await tab("delivered"))["count"] == 2

        await eventually(two_delivered, timeout=60)
        synthesis = (await client.get(f"{BASE}/synthesis", params={"school_year": 2011})).json()
        assert synthesis["year"] == {"label": "Total Annuel", "delivered": 2, "total": 4}

        # "Mettre à jour" reaches the status-poller's topic through the outbox.
        response = await client.post(f"{BASE}/refresh", json={"sms_ids": [str(late)]})
        assert (response.status_code, response.json()) == (202, {"requested": 1})
        refresh_topic = isolation.prefix + SMS_REFRESH

        async def refresh_published() -> bool:
            return len(await read_all(infra.kafka_bootstrap, refresh_topic, settle=0)) == 1

        await eventually(refresh_published, timeout=30)
        [record] = await read_all(infra.kafka_bootstrap, refresh_topic)
        assert record.key == UAI.encode()
        payload = json.loads(record.value)
        assert (payload["uai"], payload["sms_ids"]) == (UAI, [str(late)])

        async def caught_up() -> bool:
            return await group_caught_up(
                infra.kafka_bootstrap,
                isolation.prefix + CONSUMER_GROUP,
                [isolation.prefix + t for t in (SMS_REQUESTED, SMS_SUBMITTED, SMS_STATUS)],
            )

        await eventually(caught_up, timeout=30)
        # The duplicate and the republished request listed and counted nothing more.
        assert (await tab("all"))["count"] == 4
        synthesis = (await client.get(f"{BASE}/synthesis", params={"school_year": 2011})).json()
        assert synthesis["year"] == {"label": "Total Annuel", "delivered": 2, "total": 4}

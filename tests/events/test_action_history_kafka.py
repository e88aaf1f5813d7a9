"""Historique des actions: each SMS of an absence shows its live state, kept current from the
dispatcher's and the status-poller's messages read from the real Kafka broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from absences_support import SCHOOL, add_sms, history
from aiokafka import AIOKafkaProducer
from support.events_api import UAI, Api, seed_school
from support.kafka_probe import eventually

from shared.contracts import (
    Envelope,
    SmsRejectedV1,
    SmsStatusV1,
    SmsSubmittedV1,
    encode,
)
from shared.states import SmsState

# 21:30 in UTC on the 29th is already the 30th in La Réunion (UTC+4).
DIFFUSED = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)


async def publish(isolation: Any, *messages: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=isolation.infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(
                isolation.prefix + message.TOPIC, encode(message), key=UAI.encode()
            )
    finally:
        await producer.stop()


async def diffused(api: Api, *, time_zone: str = "Indian/Reunion") -> tuple[dict, str]:
    seeded = await seed_school(api)
    await api.ok(
        "PUT",
        SCHOOL,
        as_="academie",
        json={"name": "Collège Victor Hugo", "phone": "01 40 00 00 00", "time_zone": time_zone},
    )
    created = await add_sms(api, seeded)
    api.app.state.clock = lambda: DIFFUSED
    await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": created["created"]})
    return seeded, created["created"][0]


def submitted(sms_id: str, absence_id: str) -> SmsSubmittedV1:
    return SmsSubmittedV1(
        producer="dispatcher",
        uai=UAI,
        sms_id=UUID(sms_id),
        state="in_transit",
        provider_code="SIMULATEUR",
        provider_message_id="SIM-42",
        segments=1,
        submitted_at=DIFFUSED + timedelta(seconds=5),
        absence_id=UUID(absence_id),
        action_code="SMS",
        recipient_role="Légal 1 - Financier",
    )


def status(sms_id: str, absence_id: str, state: SmsState, minutes: int) -> SmsStatusV1:
    return SmsStatusV1(
        producer="status-poller",
        uai=UAI,
        sms_id=UUID(sms_id),
        absence_id=UUID(absence_id),
        action_code="SMS",
        recipient_role="Légal 1 - Financier",
        state=state,
        label_fr=state.label_fr,
        provider_message_id="SIM-42",
        changed_at=DIFFUSED + timedelta(minutes=minutes),
    )


async def line_becomes(api: Api, absence_id: str, expected: str) -> dict[str, Any]:
    async def shown() -> bool:
        return [h["line"] for h in await history(api, absence_id)] == [expected]

    await eventually(shown, timeout=60, interval=0.3)
    [item] = await history(api, absence_id)
    return item


async def test_the_history_follows_the_sms_to_delivered_in_the_schools_time_zone(
    api: Api, isolation: Any
) -> None:
    seeded, sms_id = await diffused(api)
    absence_id = seeded["absence"]["id"]
    [line] = await history(api, absence_id)
    assert line["line"] == "SMS - Légal 1 - Financier - 30/11/2026 - en attente d'envoi"
    await publish(isolation, submitted(sms_id, absence_id))
    await line_becomes(api, absence_id, "SMS - Légal 1 - Financier - 30/11/2026 - en transit")
    await publish(
        isolation,
        status(sms_id, absence_id, SmsState.CARRIER_ACCEPTED, 1),
        status(sms_id, absence_id, SmsState.DELIVERED, 2),
    )
    item = await line_becomes(api, absence_id, "SMS - Légal 1 - Financier - 30/11/2026 - délivré")
    assert item["state_changed_at"] == "30/11/2026 à 01:32"


async def test_a_late_in_transit_does_not_take_a_delivered_sms_back(
    api: Api, isolation: Any
) -> None:
    seeded, sms_id = await diffused(api, time_zone="Europe/Paris")
    absence_id = seeded["absence"]["id"]
    await publish(
        isolation,
        status(sms_id, absence_id, SmsState.DELIVERED, 2),
        submitted(sms_id, absence_id),
    )
    await line_becomes(api, absence_id, "SMS - Légal 1 - Financier - 29/11/2026 - délivré")
    # The submission came after the delivery and changed nothing: the answer stays final.
    follow_up = status(sms_id, absence_id, SmsState.UNDELIVERED, 3)
    await publish(isolation, follow_up)

    async def consumed() -> bool:
        pool = api.app.state.resources.pool
        seen: int = await pool.fetchval(
            "SELECT count(*) FROM inbox WHERE message_id = $1", follow_up.message_id
        )
        return seen == 1

    await eventually(consumed, timeout=60, interval=0.3)
    assert [h["state_label"] for h in await history(api, absence_id)] == ["délivré"]


async def test_a_rejection_shows_the_reason_staff_read(api: Api, isolation: Any) -> None:
    seeded, sms_id = await diffused(api)
    absence_id = seeded["absence"]["id"]
    await publish(
        isolation,
        SmsRejectedV1(
            producer="dispatcher",
            uai=UAI,
            sms_id=UUID(sms_id),
            state="invalid",
            reason_code="invalid_number",
            message_fr="Numéro invalide ou injoignable : vérifier le mobile du destinataire.",
            absence_id=UUID(absence_id),
            action_code="SMS",
            recipient_role="Légal 1 - Financier",
            rejected_at=DIFFUSED + timedelta(seconds=3),
        ),
    )
    item = await line_becomes(api, absence_id, "SMS - Légal 1 - Financier - 30/11/2026 - invalidé")
    assert item["reason_code"] == "invalid_number"
    assert item["reason_message"].startswith("Numéro invalide")

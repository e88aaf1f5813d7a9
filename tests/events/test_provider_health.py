"""The dispatcher's provider.health.v1 reaches events and feeds the staff banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from support.events_api import UAI, Api, seed_school
from support.kafka_probe import eventually

from shared.contracts import ProviderHealthV1, encode


def report(reachable: bool, waiting: int, at: datetime) -> ProviderHealthV1:
    return ProviderHealthV1(
        producer="dispatcher",
        uai=UAI,
        provider_code="SIMULATEUR",
        reachable=reachable,
        circuit_state="closed" if reachable else "open",
        waiting_sms=waiting,
        last_error_code=None if reachable else "operator_unreachable",
        checked_at=at,
    )


async def test_an_unreachable_operator_shows_the_banner_and_a_late_old_report_changes_nothing(
    api: Api, isolation
) -> None:
    await seed_school(api)
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/provider/health"))["known"] is False
    now = datetime.now(UTC)
    producer = AIOKafkaProducer(bootstrap_servers=isolation.infra.kafka_bootstrap)
    await producer.start()
    try:
        topic = isolation.prefix + "provider.health.v1"
        await producer.send_and_wait(topic, encode(report(False, 42, now)), key=UAI.encode())
        # An older report, delivered late, must not hide the outage.
        old = report(True, 0, now - timedelta(minutes=5))
        await producer.send_and_wait(topic, encode(old), key=UAI.encode())
    finally:
        await producer.stop()

    async def banner_shown() -> bool:
        health = await api.ok("GET", f"/api/v1/schools/{UAI}/provider/health")
        return health["known"] and health["banner"] is not None

    await eventually(banner_shown, timeout=30)
    health = await api.ok("GET", f"/api/v1/schools/{UAI}/provider/health")
    assert health["waiting_sms"] == 42
    assert health["circuit_state"] == "open"
    assert health["banner"].startswith("Le service d'envoi de SMS est injoignable")
    assert "42 SMS en attente" in health["banner"]

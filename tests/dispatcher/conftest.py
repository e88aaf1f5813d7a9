"""The dispatcher's test bench: real Kafka and PostgreSQL, the operator simulator over HTTP.

Every message is produced onto partition 0 of its topic, so the schools of a test share one
partition: a school whose operator fails must not hold up the others.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from support.processes import ManagedProcess, base_url, simulator_process

from shared.contracts import (
    Envelope,
    ProviderAccountV1,
    QuietHoursV1,
    SchoolSettingsV1,
    SmsRequestedV1,
    encode,
    load_example,
)
from shared.crypto import SecretBox
from shared.db.pool import create_pool, tenant_transaction


@pytest.fixture
def simulator(logs_dir: Path) -> Iterator[ManagedProcess]:
    process = simulator_process(log_path=logs_dir / "simulator.log")
    process.start()
    try:
        yield process
    finally:
        process.kill()


@dataclass
class Bench:
    """Drives one test: school settings and SMS requests in, the operator's view out."""

    isolation: Any
    simulator_url: str
    producer: AIOKafkaProducer
    control: httpx.AsyncClient
    pool: Any = None
    versions: Counter[str] = field(default_factory=Counter)

    @property
    def box(self) -> SecretBox:
        from dispatcher.settings import DispatcherSettings

        settings = self.isolation.settings(DispatcherSettings)
        return SecretBox(settings.data_encryption_keys.get_secret_value())

    async def publish(self, messages: list[Envelope], *, by_key: bool = False) -> None:
        """Onto partition 0, or (`by_key`) onto the partition of the school's key."""
        for message in messages:
            topic = self.isolation.prefix + message.TOPIC
            partition = None if by_key else 0
            key = message.uai.encode()
            await self.producer.send(topic, encode(message), key=key, partition=partition)
        await self.producer.flush()

    async def school(
        self,
        uai: str,
        *,
        password: str = "pw",
        provider: bool = True,
        quiet_hours: tuple[time, time] | None = None,
        time_zone: str = "Europe/Paris",
    ) -> str:
        """Publish the school's settings; its operator account key is `acct-<uai>`."""
        example = load_example(SchoolSettingsV1.TOPIC)
        assert isinstance(example, SchoolSettingsV1)
        self.versions[uai] += 1
        account = ProviderAccountV1(
            provider_code="simulator",
            dialect="simulator",
            base_url=self.simulator_url,
            key=f"acct-{uai}",
            password_encrypted=self.box.encrypt(password),
        )
        settings = example.model_copy(
            update={
                "message_id": uuid4(),
                "uai": uai,
                "version": self.versions[uai],
                "provider": account if provider else None,
                "quiet_hours": (
                    QuietHoursV1(start=quiet_hours[0], end=quiet_hours[1]) if quiet_hours else None
                ),
                "time_zone": time_zone,
            }
        )
        await self.publish([settings])
        return f"acct-{uai}"

    async def request(self, uai: str, count: int, *, by_key: bool = False) -> list[UUID]:
        example = load_example(SmsRequestedV1.TOPIC)
        assert isinstance(example, SmsRequestedV1)
        messages = [
            example.model_copy(
                update={
                    "message_id": uuid4(),
                    "uai": uai,
                    "sms_id": uuid4(),
                    "recipient_phone": f"+336{n:08d}",
                    "diffused_at": datetime.now(UTC),
                }
            )
            for n in range(count)
        ]
        await self.publish(list(messages), by_key=by_key)
        return [m.sms_id for m in messages]

    async def operator(self, account: str, **config: Any) -> None:
        answer = await self.control.put(f"/_control/accounts/{account}", json=config)
        answer.raise_for_status()

    async def submissions(self, account: str) -> Counter[str]:
        answer = await self.control.get("/_control/submissions", params={"account": account})
        answer.raise_for_status()
        return Counter(item["client_ref"] for item in answer.json())

    async def states(self, uai: str) -> Counter[str]:
        return Counter(r["state"] for r in await self.rows(uai))

    async def published(self, topic: str, uai: str) -> list[dict[str, Any]]:
        """Messages the dispatcher wrote to its outbox on `topic` for a school, oldest first."""
        rows = await self.pool.fetch(
            "SELECT payload FROM outbox WHERE topic = $1 AND message_key = $2 ORDER BY id",
            topic,
            uai.encode(),
        )
        return [json.loads(r["payload"]) for r in rows]

    async def rows(self, uai: str) -> list[dict[str, Any]]:
        async with tenant_transaction(self.pool, {uai}, readonly=True) as conn:
            rows = await conn.fetch("SELECT * FROM send_queue WHERE uai = $1", uai)
        return [dict(r) for r in rows]


@pytest.fixture
async def bench(isolation, topics, simulator: ManagedProcess) -> AsyncIterator[Bench]:
    await topics()
    await simulator.wait_ready()
    url = base_url(simulator)
    producer = AIOKafkaProducer(bootstrap_servers=isolation.infra.kafka_bootstrap)
    await producer.start()
    pool = await create_pool(isolation.infra.app_dsn, isolation.schema)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as control:
            await control.put("/_control/defaults", json={"delivery_delay_s": 0.2})
            yield Bench(isolation, url, producer, control, pool)
    finally:
        await producer.stop()
        await pool.close()

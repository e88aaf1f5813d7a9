"""Poison messages reach `<topic>.<group>.dlq` after bounded attempts, across restarts, while the
messages behind them keep flowing."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from support.kafka_probe import eventually, read_all
from support.ledger import LEDGER_SUBSCRIPTION, ledger_runtime

from shared.contracts import SmsStatusV1, encode, load_example
from shared.contracts.topics import SMS_STATUS
from shared.crypto import SecretBox
from shared.db.outbox import enqueue
from shared.db.pool import create_pool
from shared.settings import ServiceSettings


def status_message(**changes: Any) -> SmsStatusV1:
    example = load_example(SMS_STATUS)
    assert isinstance(example, SmsStatusV1)
    return example.model_copy(update={"message_id": uuid4(), "sms_id": uuid4(), **changes})


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_poison_message_is_dead_lettered_after_its_attempts_even_across_a_restart(
    infra, isolation, topics
) -> None:
    await topics(LEDGER_SUBSCRIPTION)
    # A long pause after the first failure leaves time to stop the consumer between attempts.
    slow_retry = isolation.settings(
        ServiceSettings, consumer_max_attempts=3, consumer_retry_backoff_s=5
    )
    settings = isolation.settings(
        ServiceSettings, consumer_max_attempts=3, consumer_retry_backoff_s=0.3
    )
    first, poison, behind = (
        status_message(),
        status_message(operator_code="POISON"),
        status_message(),
    )
    runtime = ledger_runtime(settings)
    await runtime.run_migrations()
    pool = await create_pool(settings.database_dsn.get_secret_value(), isolation.schema)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [first, poison, behind])

        async def attempts() -> int:
            value = await pool.fetchval(
                "SELECT attempts FROM consumer_attempts WHERE message_ref = $1",
                str(poison.message_id),
            )
            return int(value or 0)

        async def effects() -> set[Any]:
            return {r["message_id"] for r in await pool.fetch("SELECT message_id FROM effects")}

        async with ledger_runtime(slow_retry).lifespan():

            async def failed_once() -> bool:
                return await attempts() >= 1

            await eventually(failed_once, timeout=60)

            # The message behind the poison one in the same partition did not wait for it.
            async def others_applied() -> bool:
                return await effects() == {first.message_id, behind.message_id}

            await eventually(others_applied, timeout=30)
        assert await attempts() < 3, "dead-lettered before the restart: the test proves nothing"

        dlq = isolation.prefix + f"{SMS_STATUS}.ledger.dlq"
        async with ledger_runtime(settings).lifespan():

            async def dead_lettered() -> bool:
                return len(await read_all(infra.kafka_bootstrap, dlq, settle=0)) == 1

            await eventually(dead_lettered, timeout=60)
            later = status_message()
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, [later])

            async def later_applied() -> bool:
                return later.message_id in await effects()

            await eventually(later_applied, timeout=30)

        assert await attempts() == 3
        assert poison.message_id not in await effects()
        [record] = await read_all(infra.kafka_bootstrap, dlq)
        letter = json.loads(record.value)
        assert letter["message_id"] == str(poison.message_id)
        assert letter["attempts"] == 3
        assert letter["original_topic"] == SMS_STATUS
        assert letter["error"] == "PoisonError: the ledger refuses this message"
        box = SecretBox(settings.data_encryption_keys.get_secret_value())
        assert box.decrypt(letter["payload_encrypted"]) == encode(poison)
        assert "sms_id" not in record.value.decode(), "the payload must not travel in clear"
    finally:
        await pool.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_unparseable_message_is_dead_lettered_by_its_offset(infra, isolation, topics) -> None:
    await topics(LEDGER_SUBSCRIPTION)
    settings = isolation.settings(
        ServiceSettings, consumer_max_attempts=2, consumer_retry_backoff_s=0.2
    )
    runtime = ledger_runtime(settings)
    await runtime.run_migrations()
    topic = isolation.prefix + SMS_STATUS
    good = status_message()
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{not json, +33612345678", key=b"0750001A")
        await producer.send_and_wait(topic, encode(good), key=b"0750001A")
    finally:
        await producer.stop()

    pool = await create_pool(settings.database_dsn.get_secret_value(), isolation.schema)
    try:
        async with runtime.lifespan():
            dlq = isolation.prefix + f"{SMS_STATUS}.ledger.dlq"

            async def dead_lettered() -> bool:
                return len(await read_all(infra.kafka_bootstrap, dlq, settle=0)) == 1

            await eventually(dead_lettered, timeout=60)
        refs = [
            r["message_ref"] for r in await pool.fetch("SELECT message_ref FROM consumer_attempts")
        ]
        assert len(refs) == 1 and refs[0].startswith(f"{topic}:")
        assert [r["message_id"] for r in await pool.fetch("SELECT message_id FROM effects")] == [
            good.message_id
        ]
        [record] = await read_all(infra.kafka_bootstrap, dlq)
        letter = json.loads(record.value)
        assert letter["message_id"] is None
        assert "+336" not in record.value.decode()
        assert letter["error"].startswith("ContractError")
    finally:
        await pool.close()

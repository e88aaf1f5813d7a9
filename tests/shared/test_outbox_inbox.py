"""The outbox and the inbox on the real broker and database: nothing lost, one effect each."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from support.kafka_probe import eventually, group_caught_up, read_all
from support.ledger import LEDGER_SUBSCRIPTION, ledger_runtime
from support.processes import ManagedProcess

from shared.contracts import SmsStatusV1, load_example
from shared.contracts.topics import SMS_STATUS, TopicNaming
from shared.db.outbox import OutboxRelay, enqueue
from shared.db.pool import create_pool
from shared.kafka.producer import KafkaRecordProducer
from shared.settings import ServiceSettings

RELAY_SCRIPT = Path(__file__).resolve().parents[1] / "support" / "relay_process.py"


def status_message(**changes: Any) -> SmsStatusV1:
    example = load_example(SMS_STATUS)
    assert isinstance(example, SmsStatusV1)
    return example.model_copy(update={"message_id": uuid4(), "sms_id": uuid4(), **changes})


async def pending(pool: asyncpg.Pool[Any]) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return count


@pytest.fixture
async def ledger(isolation, topics):
    await topics(LEDGER_SUBSCRIPTION)
    settings = isolation.settings(ServiceSettings, consumer_max_attempts=3)
    runtime = ledger_runtime(settings, consume=False)
    await runtime.run_migrations()
    pool = await create_pool(settings.database_dsn.get_secret_value(), isolation.schema)
    try:
        yield settings, pool
    finally:
        await pool.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_outbox_row_is_published_once_the_broker_is_back(infra, isolation, ledger) -> None:
    _settings, pool = ledger
    kafka = infra.stack.kafka
    if kafka is None:
        pytest.skip("the broker is not ours to stop")
    producer = KafkaRecordProducer(
        infra.kafka_bootstrap, client_id="t-relay", request_timeout_ms=3000
    )
    relay = OutboxRelay(
        pool,
        producer,
        TopicNaming(isolation.prefix),
        schema=isolation.schema,
        poll_interval=0.05,
        retry_backoff=0.5,
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.to_thread(kafka.stop)
        message = status_message()
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [message])
        await asyncio.sleep(4)
        assert await pending(pool) == 1, "published while the broker was down?"
        await asyncio.to_thread(kafka.start)

        async def published() -> bool:
            return await pending(pool) == 0

        await eventually(published, timeout=90)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()
    records = await read_all(infra.kafka_bootstrap, isolation.prefix + SMS_STATUS)
    ids = [json.loads(r.value)["message_id"] for r in records]
    assert ids == [str(message.message_id)]


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_relay_killed_before_marking_duplicates_and_the_inbox_absorbs_them(
    infra, isolation, ledger, tmp_path, logs_dir
) -> None:
    settings, pool = ledger
    messages = [status_message() for _ in range(3)]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, messages)

    marker = tmp_path / "frozen"
    argv = [
        sys.executable,
        str(RELAY_SCRIPT),
        "--schema",
        isolation.schema,
        "--bootstrap",
        infra.kafka_bootstrap,
        "--prefix",
        isolation.prefix,
    ]
    env = {"RELAY_DSN": infra.app_dsn}
    frozen = ManagedProcess(
        "relay-frozen",
        [*argv, "--freeze-marker", str(marker)],
        env=env,
        log_path=logs_dir / "relay-frozen.log",
        ready_file=marker,
    )
    frozen.start()
    await frozen.wait_ready(60)
    frozen.kill()
    assert await pending(pool) == 3, "rows were marked although the relay died before marking"

    relay = ManagedProcess("relay", argv, env=env, log_path=logs_dir / "relay.log")
    relay.start()
    try:

        async def drained() -> bool:
            return await pending(pool) == 0

        await eventually(drained, timeout=60)
    finally:
        relay.terminate()

    topic = isolation.prefix + SMS_STATUS
    records = await read_all(infra.kafka_bootstrap, topic)
    published = [json.loads(r.value)["message_id"] for r in records]
    assert sorted(published) == sorted(str(m.message_id) for m in messages for _ in range(2))

    runtime = ledger_runtime(settings)
    async with runtime.lifespan():

        async def consumed() -> bool:
            return await group_caught_up(
                infra.kafka_bootstrap, isolation.prefix + "ledger", [topic]
            )

        await eventually(consumed, timeout=60)
    rows = await pool.fetch("SELECT message_id FROM effects")
    assert sorted(r["message_id"] for r in rows) == sorted(m.message_id for m in messages)

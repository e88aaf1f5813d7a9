"""The broker alone, in the same run: aiokafka producing and consuming as many messages of the
same size as the pipeline moved, with the producer settings the services use (acks=all,
idempotent, 5 ms linger), on a topic with the registry's partition count. The pipeline's
throughput divided by this rate is the overhead figure that survives a noisy machine."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from localinfra.topics import create_topics
from shared.contracts.topics import TopicSpec

PARTITIONS = 12


async def produce_consume(
    bootstrap: str, *, messages: int, size: int, prefix: str = "", keys: int = 500
) -> dict[str, Any]:
    """Produce `messages` records of `size` bytes (keyed over `keys` keys, as SMS are keyed by
    UAI) while a consumer reads them; returns the rates."""
    name = f"bench.raw.{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}{name}"
    # Returns once every partition has a leader: no "not leader" retries in the timed part.
    await create_topics(bootstrap, [TopicSpec(name, PARTITIONS)], prefix=prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await _run(bootstrap, topic, messages, max(size, 1), keys)
    finally:
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


async def _run(bootstrap: str, topic: str, messages: int, size: int, keys: int) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.reader",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await consumer.start()
    await producer.start()
    try:
        await _wait_assigned(consumer)
        payload = os.urandom(size)
        key_bytes = [f"{9_900_000 + i:07d}B".encode() for i in range(keys)]
        received = 0
        done = asyncio.Event()

        async def read() -> None:
            nonlocal received
            while received < messages:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                received += sum(len(records) for records in batches.values())
                if batches:
                    await consumer.commit()
            done.set()

        # One record per partition first, acknowledged and read before the clock starts: the
        # first requests of a new topic meet leader elections that are not what we measure.
        await asyncio.gather(
            *[await producer.send(topic, payload, partition=p) for p in range(PARTITIONS)]
        )
        warm = 0
        while warm < PARTITIONS:
            batches = await consumer.getmany(timeout_ms=200)
            warm += sum(len(records) for records in batches.values())
        reader = asyncio.create_task(read())
        started = time.perf_counter()
        pending = []
        for i in range(messages):
            pending.append(await producer.send(topic, payload, key=key_bytes[i % keys]))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        produced = time.perf_counter() - started
        await asyncio.wait_for(done.wait(), timeout=max(120.0, produced * 10))
        both = time.perf_counter() - started
        await reader
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": messages,
        "message_bytes": size,
        "partitions": PARTITIONS,
        "produce_s": round(produced, 3),
        "produce_per_s": round(messages / produced, 1),
        "produce_consume_s": round(both, 3),
        "produce_consume_per_s": round(messages / both, 1),
    }


async def _wait_assigned(consumer: AIOKafkaConsumer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise TimeoutError("the raw consumer got no partition")
        await consumer.getmany(timeout_ms=100)

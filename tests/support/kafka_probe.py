"""Reading topics and consumer-group progress in tests, with deadlines instead of sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError


async def read_all(bootstrap: str, topic: str, *, settle: float = 1.0) -> list[Any]:
    """Every record currently in `topic`, from the beginning of each partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + 30 + settle
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= end[tp] for pos, tp in zip(positions, partitions, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # no public call refreshes it
    return [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]


async def group_caught_up(bootstrap: str, group: str, topics: list[str]) -> bool:
    """True when the group's committed offsets reached the end of every partition of `topics`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        try:
            committed = await admin.list_consumer_group_offsets(group)
        except KafkaError:  # the group coordinator is still loading: not caught up yet
            return False
        partitions = [tp for topic in topics for tp in await _partitions(consumer, topic)]
        if not partitions:
            return False
        end = await consumer.end_offsets(partitions)
        return all(
            (committed.get(tp).offset if committed.get(tp) else 0) >= offset
            for tp, offset in end.items()
        )
    finally:
        await consumer.stop()
        await admin.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, interval: float = 0.2
) -> None:
    """Wait until `check()` is true, or fail when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)

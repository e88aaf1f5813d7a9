"""Reading topics from their first retained message up to the end they had when reading began,
and handing the consumer group that position afterwards (for the rebuild of the read model)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from shared.contracts.topics import TopicNaming


class GroupStillActiveError(RuntimeError):
    """The consumer group has members: the service still runs."""


class TopicReplay:
    """A group-less reader of `topics` (logical names) from their beginning to a fixed end."""

    def __init__(
        self,
        bootstrap_servers: str,
        naming: TopicNaming,
        topics: Sequence[str],
        *,
        client_id: str = "reporting-rebuild",
        timeout_s: float = 30.0,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._naming = naming
        self._logical = {naming.topic(t): t for t in topics}
        self._client_id = client_id
        self._timeout = timeout_s
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id=client_id)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, client_id=client_id, enable_auto_commit=False
        )
        self.end: dict[TopicPartition, int] = {}

    async def __aenter__(self) -> TopicReplay:
        await self._admin.start()
        await self._consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    def logical_topic(self, physical: str) -> str:
        return self._logical.get(physical, physical)

    async def group_members(self, group: str) -> int:
        """How many members the consumer group `group` (logical name) has right now."""
        [described] = await self._admin.describe_consumer_groups([self._naming.group(group)])
        groups = getattr(described, "groups", None) or []
        return sum(len(g[5]) for g in groups)

    async def _partitions(self) -> list[TopicPartition]:
        described = await self._admin.describe_topics(list(self._logical))
        missing = [d["topic"] for d in described if d.get("error_code")]
        if missing:
            raise RuntimeError(f"topics missing on the broker: {', '.join(sorted(missing))}")
        return sorted(
            (
                TopicPartition(d["topic"], p["partition"])
                for d in described
                for p in d["partitions"]
            ),
            key=lambda tp: (tp.topic, tp.partition),
        )

    async def records(
        self, *, batch_size: int = 1000
    ) -> AsyncIterator[list[ConsumerRecord[Any, Any]]]:
        """Batches of every retained record, oldest first in each partition, up to the end each
        partition had when this call began (`self.end`)."""
        partitions = await self._partitions()
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self.end = await asyncio.wait_for(self._consumer.end_offsets(partitions), self._timeout)
        remaining = {tp for tp in partitions if await self._consumer.position(tp) < self.end[tp]}
        while remaining:
            fetched = await self._consumer.getmany(timeout_ms=500, max_records=batch_size)
            batch: list[ConsumerRecord[Any, Any]] = []
            for tp, recs in fetched.items():
                batch += [r for r in recs if r.offset < self.end[tp]]
            for tp in list(remaining):
                if await self._consumer.position(tp) >= self.end[tp]:
                    remaining.discard(tp)
            if batch:
                yield batch

    async def hand_over(self, group: str) -> None:
        """Commit the end reached as the position of `group` (logical name), so that the service
        resumes exactly after what was replayed. The group must have no member."""
        if await self.group_members(group):
            raise GroupStillActiveError(group)
        committer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-handover",
            group_id=self._naming.group(group),
            enable_auto_commit=False,
        )
        await committer.start()
        try:
            committer.assign(list(self.end))
            await committer.commit({tp: OffsetAndMetadata(o, "") for tp, o in self.end.items()})
        finally:
            await committer.stop()

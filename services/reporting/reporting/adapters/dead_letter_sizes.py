"""How many messages each dead-letter topic holds, read from the broker's offsets.

A dead-letter topic only grows (until retention removes its oldest messages), so its size is the
sum over its partitions of the end offset minus the first offset still held. Reading offsets
fetches no message: the encrypted payloads never leave the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.topics import SUBSCRIPTIONS, TopicNaming, dead_letter_topic


def dead_letter_topics() -> list[str]:
    """The logical name of every consumer group's dead-letter topic."""
    return sorted({dead_letter_topic(s.topic, s.group) for s in SUBSCRIPTIONS})


class DeadLetterSizes:
    """A group-less Kafka client that reads the offsets of the dead-letter topics."""

    def __init__(
        self,
        bootstrap_servers: str,
        naming: TopicNaming,
        *,
        client_id: str,
        topics: Sequence[str] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._naming = naming
        self._topics = list(topics if topics is not None else dead_letter_topics())
        self._timeout = timeout_s
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, client_id=f"{client_id}-admin"
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_auto_commit=False,
        )
        self._started = False
        self._partitions: list[TopicPartition] = []

    async def _start(self) -> None:
        if not self._started:
            # Marked first: a start cancelled halfway must still be stopped.
            self._started = True
            await self._admin.start()
            await self._consumer.start()

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self._consumer.stop()
            await self._admin.close()

    async def _assign(self) -> None:
        physical = {self._naming.topic(t): t for t in self._topics}
        described = await self._admin.describe_topics(list(physical))
        partitions = sorted(
            (
                TopicPartition(d["topic"], p["partition"])
                for d in described
                if not d.get("error_code")
                for p in d.get("partitions", ())
            ),
            key=lambda tp: (tp.topic, tp.partition),
        )
        if partitions != self._partitions:
            self._consumer.assign(partitions)
            self._partitions = partitions

    async def sizes(self) -> dict[str, int]:
        """Logical DLQ topic → messages it holds (topics missing on the broker are left out)."""
        await asyncio.wait_for(self._start(), self._timeout)
        await asyncio.wait_for(self._assign(), self._timeout)
        if not self._partitions:
            return {}
        first = await asyncio.wait_for(
            self._consumer.beginning_offsets(self._partitions), self._timeout
        )
        end = await asyncio.wait_for(self._consumer.end_offsets(self._partitions), self._timeout)
        logical = {self._naming.topic(t): t for t in self._topics}
        held: dict[str, int] = {}
        for tp in self._partitions:
            name = logical[tp.topic]
            held[name] = held.get(name, 0) + max(0, end[tp] - first[tp])
        return held

"""Batch consumption with at-least-once delivery, an inbox, bounded retries and dead letters.

A batch from Kafka may mix partitions and topics. It is first applied whole, in one transaction
(inbox claims + the handlers' writes), then committed. When the batch fails, each message is
retried alone, so that only a message that fails on its own is counted (in PostgreSQL, so counts
survive restarts) and, after `max_attempts`, sent to `<topic>.<group>.dlq`; the rest commit. A
message that failed fewer times makes its partition seek back to it, and it comes again after a
pause; the ones behind it that already succeeded come back too and the inbox drops them.
Failures that are not the message's fault (database or broker away) count nothing: the whole
batch is replayed once the outage ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.contracts import ContractError, Envelope, decode
from shared.contracts.topics import TopicNaming
from shared.db import attempts, inbox
from shared.db.pool import set_tenant_scope
from shared.db.types import Connection
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.kafka.errors import is_transient, summarize_error
from shared.metrics import ConsumerMetrics

log = logging.getLogger(__name__)

BatchHandler = Callable[["Connection", Sequence[Any]], Awaitable[None]]


class ConsumerOps(Protocol):
    """What the consumer needs from the Kafka client: rewind a partition and commit positions."""

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    async def commit(self) -> None: ...


@dataclass
class _Item:
    record: ConsumerRecord[Any, Any]
    topic: str  # logical (unprefixed) name
    message: Envelope | None
    error: BaseException | None

    @property
    def ref(self) -> str:
        if self.message is not None:
            return str(self.message.message_id)
        return f"{self.record.topic}:{self.record.partition}:{self.record.offset}"

    @property
    def partition(self) -> TopicPartition:
        return TopicPartition(self.record.topic, self.record.partition)


class BatchConsumer:
    """Applies batches of one consumer group's topics with the handlers given per topic."""

    def __init__(
        self,
        *,
        group: str,
        handlers: Mapping[str, BatchHandler],
        pool: asyncpg.Pool[Any],
        dead_letters: DeadLetterPublisher,
        naming: TopicNaming,
        metrics: ConsumerMetrics,
        max_attempts: int = 5,
        retry_backoff: float = 1.0,
    ) -> None:
        self.group = group
        self._handlers = dict(handlers)
        self._pool = pool
        self._dead_letters = dead_letters
        self._naming = naming
        self._metrics = metrics
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._topic_by_physical = {naming.topic(t): t for t in self._handlers}

    @property
    def topics(self) -> list[str]:
        """The logical topics this consumer reads."""
        return list(self._handlers)

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]], ops: ConsumerOps) -> None:
        """Apply one batch and commit what is done; never lets a record be committed unapplied."""
        if not records:
            return
        started = time.perf_counter()
        try:
            rewind = await self._apply(records)
        except asyncio.CancelledError:
            self._rewind(ops, _first_offsets(records))
            raise
        except Exception as exc:  # an outage: replay the whole batch later, count nothing
            log.warning(
                "batch not applied, will be replayed",
                extra={"group": self.group, "error": summarize_error(exc), "size": len(records)},
            )
            self._metrics.retried(self.group, len(records))
            self._rewind(ops, _first_offsets(records))
            await asyncio.sleep(self._retry_backoff)
            return
        self._rewind(ops, rewind)
        try:
            await ops.commit()
        except (CommitFailedError, IllegalStateError) as exc:
            # The partitions moved to another replica mid-batch; it replays them and the inbox
            # absorbs what this one already applied.
            log.warning(
                "commit refused after a rebalance",
                extra={"group": self.group, "error": type(exc).__name__},
            )
        self._metrics.batch_done(self.group, len(records), time.perf_counter() - started)
        self._observe_lag(records, ops, rewind)
        if rewind:
            await asyncio.sleep(self._retry_backoff)

    def _observe_lag(
        self,
        records: Sequence[ConsumerRecord[Any, Any]],
        ops: ConsumerOps,
        rewind: Mapping[TopicPartition, int],
    ) -> None:
        """Export, per partition of the batch, how far the group is behind its end.

        The end is the highwater mark the last fetch brought (no extra request); a client
        without one (the tests' fakes) exports nothing.
        """
        highwater = getattr(ops, "highwater", None)
        if highwater is None:
            return
        next_offsets: dict[TopicPartition, int] = {}
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            next_offsets[partition] = max(next_offsets.get(partition, 0), record.offset + 1)
        next_offsets.update(rewind)
        for partition, position in next_offsets.items():
            try:
                end = highwater(partition)
            except (AssertionError, IllegalStateError):  # revoked meanwhile
                continue
            if isinstance(end, int):
                topic = self._topic_by_physical.get(partition.topic, partition.topic)
                self._metrics.lag(self.group, topic, partition.partition, end - position)

    def _rewind(self, ops: ConsumerOps, offsets: Mapping[TopicPartition, int]) -> None:
        for partition, offset in offsets.items():
            try:
                ops.seek(partition, offset)
            except IllegalStateError:
                # Revoked mid-batch: its new owner starts from the last commit, which is at or
                # before this offset, so nothing is skipped. The other partitions must still
                # be rewound, hence no early exit.
                log.info(
                    "partition moved before it could be rewound",
                    extra={"group": self.group, "partition": partition.partition},
                )

    async def _apply(
        self, records: Sequence[ConsumerRecord[Any, Any]]
    ) -> dict[TopicPartition, int]:
        """Returns, per partition, the offset to rewind to (messages to retry later)."""
        items = [self._decode(record) for record in records]
        parsed = [item for item in items if item.message is not None]
        if len(parsed) == len(items):
            try:
                await self._transaction(parsed)
                return {}
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.info(
                    "batch failed, retrying its messages one by one",
                    extra={"group": self.group, "error": summarize_error(exc)},
                )
        return await self._apply_one_by_one(items)

    async def _apply_one_by_one(self, items: list[_Item]) -> dict[TopicPartition, int]:
        rewind: dict[TopicPartition, int] = {}
        for item in items:
            error = item.error
            if error is None:
                try:
                    await self._transaction([item], clear_attempts=True)
                    continue
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    error = exc
            if await self._count_failure(item, error):
                continue
            offset = rewind.get(item.partition)
            if offset is None or item.record.offset < offset:
                rewind[item.partition] = item.record.offset
        return rewind

    async def _count_failure(self, item: _Item, error: BaseException) -> bool:
        """Count the failure; dead-letter the message once it reached the bound. True if parked."""
        summary = summarize_error(error)
        if item.ref in await attempts.dead_lettered(self._pool, self.group, [item.ref]):
            # Parked before a crash that came ahead of the commit: do not publish it twice.
            return True
        count = await attempts.record_failure(self._pool, self.group, item.ref, summary)
        log.warning(
            "message failed",
            extra={
                "group": self.group,
                "topic": item.topic,
                "partition": item.record.partition,
                "offset": item.record.offset,
                "message_ref": item.ref,
                "attempt": count,
                "max_attempts": self._max_attempts,
                "error": summary,
            },
        )
        if count < self._max_attempts:
            self._metrics.retried(self.group, 1)
            return False
        await self._dead_letters.publish(
            record=item.record,
            topic=item.topic,
            group=self.group,
            message_id=item.message.message_id if item.message is not None else None,
            error_summary=summary,
            attempts=count,
        )
        await attempts.mark_dead_lettered(self._pool, self.group, item.ref)
        self._metrics.dead_lettered(self.group, item.topic)
        return True

    async def _transaction(self, items: list[_Item], *, clear_attempts: bool = False) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            messages = [item.message for item in items if item.message is not None]
            await set_tenant_scope(conn, {m.uai for m in messages})
            fresh = await inbox.claim(conn, self.group, (m.message_id for m in messages))
            self._metrics.duplicates(self.group, len(messages) - len(fresh))
            by_topic: dict[str, list[Envelope]] = {}
            seen: set[Any] = set()
            for item in items:
                message = item.message
                if (
                    message is not None
                    and message.message_id in fresh
                    and message.message_id not in seen
                ):
                    seen.add(message.message_id)
                    by_topic.setdefault(item.topic, []).append(message)
            for topic, batch in by_topic.items():
                await self._handlers[topic](conn, batch)
            if clear_attempts:
                await attempts.clear(conn, self.group, [item.ref for item in items])
            self._metrics.processed(self.group, sum(len(b) for b in by_topic.values()))

    def _decode(self, record: ConsumerRecord[Any, Any]) -> _Item:
        topic = self._topic_by_physical.get(record.topic, record.topic)
        try:
            message = decode(topic, record.value or b"")
        except ContractError as exc:
            return _Item(record, topic, None, exc)
        return _Item(record, topic, message, None)


def _first_offsets(records: Sequence[ConsumerRecord[Any, Any]]) -> dict[TopicPartition, int]:
    first: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        if partition not in first or record.offset < first[partition]:
            first[partition] = record.offset
    return first

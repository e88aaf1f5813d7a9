"""The transactional outbox: messages written with the database change that causes them.

`enqueue` is called inside the caller's transaction. `OutboxRelay` publishes pending rows in id
order, in batches, and marks them published only once the broker acknowledged every record of the
batch. One relay per schema is active at a time (a session advisory lock elects it), so rows keep
their order; a relay that dies between publishing and marking republishes on restart, and the
consumers' inboxes absorb the duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from shared.contracts import Envelope, encode
from shared.contracts.topics import TopicNaming
from shared.db.types import Connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingRecord:
    """A record as the relay hands it to the producer (topic already prefixed)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class RecordProducer(Protocol):
    async def send_batch(self, records: Sequence[OutgoingRecord]) -> None:
        """Publish every record and return once the broker acknowledged all of them."""


async def enqueue(conn: Connection, messages: Sequence[Envelope]) -> None:
    """Write messages to the outbox in the caller's transaction (one statement for the batch)."""
    if not messages:
        return
    await conn.execute(
        """
        INSERT INTO outbox (topic, message_key, payload, headers)
        SELECT t.topic, t.message_key, t.payload, t.headers::jsonb
          FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[])
               AS t(topic, message_key, payload, headers)
        """,
        [m.schema_ for m in messages],
        [m.uai.encode() for m in messages],
        [encode(m) for m in messages],
        [_headers_json(m) for m in messages],
    )


def _headers_json(message: Envelope) -> str:
    return json.dumps([["message_id", str(message.message_id)], ["schema", message.schema_]])


OnPublished = Callable[[list[int]], Awaitable[None]]


class OutboxRelay:
    """Publishes the outbox of one schema; run it as a background task of the service."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        producer: RecordProducer,
        naming: TopicNaming,
        *,
        schema: str,
        batch_size: int = 1000,
        poll_interval: float = 0.1,
        retry_backoff: float = 1.0,
        retention_hours: int = 24,
        on_published: OnPublished | None = None,
        metrics: OutboxMetricsPort | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._naming = naming
        self._lock_name = f"outbox-relay:{schema}"
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retry_backoff = retry_backoff
        self._retention_hours = retention_hours
        self._on_published = on_published
        self._metrics = metrics
        self._wakeup = asyncio.Event()
        self.is_leader = False

    def wake(self) -> None:
        """Ask the relay to look at the outbox now rather than at its next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Elect this relay, then publish until cancelled; survives database and broker outages."""
        while True:
            try:
                async with self._pool.acquire() as conn:
                    await self._lead(conn)
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.is_leader = False
                log.warning(
                    "outbox relay lost its database connection", extra={"error": type(exc).__name__}
                )
                await asyncio.sleep(self._retry_backoff)

    async def _lead(self, conn: Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_name):
            self.is_leader = False
            await asyncio.sleep(max(self._poll_interval, 1.0))
        self.is_leader = True
        try:
            purged_at = observed_at = 0.0
            while True:
                published = await self._publish_batch(conn)
                loop_time = asyncio.get_running_loop().time()
                if self._metrics is not None and loop_time - observed_at > 5:
                    await self._metrics.observe_pending(conn)
                    observed_at = loop_time
                if loop_time - purged_at > 600:
                    await self._purge(conn)
                    purged_at = loop_time
                if published < self._batch_size:
                    await self._wait()
        finally:
            self.is_leader = False
            if not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_name)

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
        self._wakeup.clear()

    async def _publish_batch(self, conn: Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, message_key, payload, headers FROM outbox"
            " WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        records = [
            OutgoingRecord(
                topic=self._naming.topic(row["topic"]),
                key=row["message_key"],
                value=row["payload"],
                headers=tuple((name, value.encode()) for name, value in row["headers"]),
            )
            for row in rows
        ]
        try:
            await self._producer.send_batch(records)
        except Exception as exc:  # the broker is away: keep the rows, try again later
            log.warning(
                "outbox relay could not publish, will retry",
                extra={"error": type(exc).__name__, "pending_batch": len(records)},
            )
            if self._metrics is not None:
                self._metrics.publish_failed()
            await asyncio.sleep(self._retry_backoff)
            return 0
        ids = [row["id"] for row in rows]
        if self._on_published is not None:
            await self._on_published(ids)
        await conn.execute(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids
        )
        if self._metrics is not None:
            self._metrics.published(len(ids))
        return len(ids)

    async def _purge(self, conn: Connection) -> None:
        await conn.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)",
            self._retention_hours,
        )


class OutboxMetricsPort(Protocol):
    def published(self, count: int) -> None: ...

    def publish_failed(self) -> None: ...

    async def observe_pending(self, conn: Connection) -> None: ...

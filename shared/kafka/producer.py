"""The idempotent producer (acks=all) the outbox relay and the dead-letter path publish with."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.db.outbox import OutgoingRecord

log = logging.getLogger(__name__)


class KafkaRecordProducer:
    """Publishes batches of records and waits for the broker's acknowledgement of each one.

    The underlying client starts lazily and is rebuilt after a failed start, so a service that
    boots while Kafka is away keeps its outbox and publishes once the broker answers.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        linger_ms: int = 5,
        request_timeout_ms: int = 15_000,
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._linger_ms = linger_ms
        self._request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _client(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=self._linger_ms,
                    request_timeout_ms=self._request_timeout_ms,
                    max_batch_size=256 * 1024,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> None:
        """Send all records, then wait for every acknowledgement; raises if any failed."""
        producer = await self._client()
        futures = [
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
            for record in records
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def stop(self, timeout: float = 10.0) -> None:
        """Close the client; a flush that does not finish in `timeout` is abandoned.

        Abandoning is safe: records not acknowledged were not marked in the outbox, so they are
        published again by the next relay.
        """
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                try:
                    await asyncio.wait_for(producer.stop(), timeout)
                except TimeoutError:
                    log.warning("producer did not flush in time; unacknowledged rows stay queued")

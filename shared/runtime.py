"""What every service runs besides its own use cases: the database pool and migrations, the
outbox relay, the Kafka consumers and the probes. A service's `build_app(settings)` composes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from shared.contracts.topics import SUBSCRIPTIONS, TopicNaming
from shared.crypto import SecretBox
from shared.db.migrations import SHARED_MIGRATIONS, migrate
from shared.db.outbox import OutboxRelay
from shared.db.pool import create_pool
from shared.http.probes import ReadinessCheck
from shared.kafka.broker import attach_batch_consumer, create_broker
from shared.kafka.consumer import BatchConsumer, BatchHandler
from shared.kafka.dead_letters import DeadLetterPublisher
from shared.kafka.producer import KafkaRecordProducer
from shared.metrics import ConsumerMetrics, OutboxMetrics, create_registry
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class Resources:
    """What the lifespan created; use cases and handlers receive the parts they need."""

    settings: ServiceSettings
    pool: asyncpg.Pool[Any]
    producer: KafkaRecordProducer
    relay: OutboxRelay
    broker: KafkaBroker
    box: SecretBox
    naming: TopicNaming
    registry: CollectorRegistry
    extras: dict[str, Any] = field(default_factory=dict)
    # Closers of what a service built from these resources (HTTP clients…), run at shutdown.
    on_shutdown: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


HandlersFactory = Callable[[Resources], Mapping[str, BatchHandler]]
# Long-running loops of a service (a sender, a poller), started after the consumers' setup.
LoopFactory = Callable[[], Coroutine[Any, Any, None]]
BackgroundFactory = Callable[[Resources], Sequence[LoopFactory]]


SHUTDOWN_STEP_TIMEOUT_S = 10.0


class ServiceRuntime:
    """The lifecycle of one service process.

    `kafka_in_readiness` is true for services that cannot do their work without the broker
    (dispatcher, status-poller); events and reporting stay ready on PostgreSQL alone, their
    outbox absorbing a Kafka outage.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        service: str,
        migrations: Path,
        consumer_group: str | None = None,
        handlers: HandlersFactory | None = None,
        kafka_in_readiness: bool,
        migrate_on_start: bool = True,
        extra_migrations: Sequence[tuple[str, Path]] = (),
        background: BackgroundFactory | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.migrations = migrations
        self.consumer_group = consumer_group or service
        self.handlers = handlers
        self.kafka_in_readiness = kafka_in_readiness
        self.migrate_on_start = migrate_on_start
        self.extra_migrations = list(extra_migrations)
        self.background = background
        self.registry = create_registry()
        self.naming = TopicNaming(settings.topic_prefix)
        self.resources: Resources | None = None
        self._broker_started = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def run_migrations(self) -> None:
        await migrate(
            self.settings.database_owner_dsn.get_secret_value(),
            self.settings.db_schema,
            [
                ("shared", SHARED_MIGRATIONS),
                *self.extra_migrations,
                (self.service, self.migrations),
            ],
            app_role=self.settings.db_app_role,
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[Resources]:
        """Start everything, yield the resources, stop everything in reverse order."""
        s = self.settings
        if self.migrate_on_start:
            await self.run_migrations()
        pool = await create_pool(
            s.database_dsn.get_secret_value(),
            s.db_schema,
            min_size=s.db_pool_min,
            max_size=s.db_pool_max,
            application_name=f"{self.service}-{s.instance_id}",
        )
        producer = KafkaRecordProducer(
            s.kafka_bootstrap_servers, client_id=f"{self.service}-{s.instance_id}-relay"
        )
        relay = OutboxRelay(
            pool,
            producer,
            self.naming,
            schema=s.db_schema,
            batch_size=s.outbox_batch_size,
            poll_interval=s.outbox_poll_interval_s,
            metrics=OutboxMetrics(self.registry, self.service),
        )
        broker = create_broker(
            s.kafka_bootstrap_servers,
            service=self.service,
            client_id=f"{self.service}-{s.instance_id}",
            registry=self.registry,
        )
        box = SecretBox(s.data_encryption_keys.get_secret_value())
        resources = Resources(s, pool, producer, relay, broker, box, self.naming, self.registry)
        if self.handlers is not None:
            handlers = self.handlers(resources)
            self._check_subscriptions(set(handlers))
            consumer = BatchConsumer(
                group=self.consumer_group,
                handlers=handlers,
                pool=pool,
                dead_letters=DeadLetterPublisher(
                    producer, self.naming, box, producer_name=self.service
                ),
                naming=self.naming,
                metrics=ConsumerMetrics(self.registry, self.service),
                max_attempts=s.consumer_max_attempts,
                retry_backoff=s.consumer_retry_backoff_s,
            )
            attach_batch_consumer(
                broker,
                consumer,
                self.naming,
                max_records=s.consumer_max_records,
                batch_timeout_ms=s.consumer_batch_timeout_ms,
            )
        self.resources = resources
        self._tasks = [
            asyncio.create_task(relay.run(), name=f"{self.service}-outbox-relay"),
            asyncio.create_task(self._start_broker(broker), name=f"{self.service}-broker"),
        ]
        if self.background is not None:
            self._tasks += [
                asyncio.create_task(_supervised(loop, self.service))
                for loop in self.background(resources)
            ]
        try:
            yield resources
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                # Bounded too: a loop stuck in a client that ignores cancellation (a Kafka
                # metadata retry) must not keep the process from stopping.
                done, stuck = await asyncio.wait(self._tasks, timeout=SHUTDOWN_STEP_TIMEOUT_S)
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        log.warning(
                            "a background task ended with an error",
                            extra={"task": task.get_name()},
                        )
                for task in stuck:
                    log.warning("a background task did not stop", extra={"task": task.get_name()})
            for close in reversed(resources.on_shutdown):
                # Bounded: a client that cannot close (a broker gone away mid-request) must not
                # keep the process from stopping.
                try:
                    await asyncio.wait_for(close(), SHUTDOWN_STEP_TIMEOUT_S)
                except Exception as exc:
                    log.warning("a shutdown step failed", extra={"error": type(exc).__name__})
            # Also when the start was cancelled halfway: its consumers must be closed.
            try:
                await broker.stop()
            except Exception as exc:
                log.warning("broker did not stop cleanly", extra={"error": type(exc).__name__})
            await producer.stop()
            await pool.close()
            self.resources = None

    def _check_subscriptions(self, topics: set[str]) -> None:
        """The topics consumed must be those the registry (and the AsyncAPI document) declares."""
        declared = {s.topic for s in SUBSCRIPTIONS if s.service == self.service}
        if declared and declared != topics:
            raise RuntimeError(
                f"{self.service} consumes {sorted(topics)} but shared/contracts/topics.py "
                f"declares {sorted(declared)}"
            )

    async def _start_broker(self, broker: KafkaBroker) -> None:
        """Connect the consumers, retrying while the broker is away (HTTP keeps serving)."""
        delay = 1.0
        while True:
            try:
                await broker.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "Kafka not reachable yet, retrying",
                    extra={"error": type(exc).__name__, "retry_in_s": delay},
                )
                with contextlib.suppress(Exception):
                    await broker.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            else:
                self._broker_started.set()
                return

    def readiness_checks(self) -> Mapping[str, ReadinessCheck]:
        resources = self.resources
        if resources is None:
            return {}
        checks: dict[str, ReadinessCheck] = {"postgres": lambda: _postgres_ok(resources.pool)}
        if self.kafka_in_readiness:
            checks["kafka"] = lambda: self._kafka_ok(resources.broker)
        return checks

    async def _kafka_ok(self, broker: KafkaBroker) -> bool:
        return self._broker_started.is_set() and await broker.ping(timeout=2.0)


async def _supervised(loop: LoopFactory, service: str) -> None:
    """Run a background loop; when it crashes, log it and start it again after a pause."""
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop of %s crashed, restarting it", service)
            await asyncio.sleep(5)


async def _postgres_ok(pool: asyncpg.Pool[Any]) -> bool:
    return bool(await pool.fetchval("SELECT 1") == 1)

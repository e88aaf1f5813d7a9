"""Prometheus metrics of the shared plumbing, registered on the service's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.db.types import Connection


def create_registry() -> CollectorRegistry:
    """A registry per application, so that tests can build several apps in one process."""
    return CollectorRegistry(auto_describe=True)


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self._service = service
        self._messages = Counter(
            "sms_consumer_messages_total",
            "Messages handled by a consumer group, by outcome.",
            ["service", "group", "outcome"],
            registry=registry,
        )
        self._dead = Counter(
            "sms_consumer_dead_letters_total",
            "Messages sent to a dead-letter topic.",
            ["service", "group", "topic"],
            registry=registry,
        )
        self._batch_seconds = Histogram(
            "sms_consumer_batch_seconds",
            "Time to apply and commit one batch.",
            ["service", "group"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self._batch_size = Histogram(
            "sms_consumer_batch_size",
            "Records per consumed batch.",
            ["service", "group"],
            registry=registry,
            buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2000),
        )
        self._lag = Gauge(
            "sms_consumer_lag_messages",
            "Messages behind the end of a partition after the group's last batch from it "
            "(take max by partition: a replica keeps the value of a partition it lost).",
            ["service", "group", "topic", "partition"],
            registry=registry,
        )

    def processed(self, group: str, count: int) -> None:
        self._messages.labels(self._service, group, "processed").inc(count)

    def duplicates(self, group: str, count: int) -> None:
        if count:
            self._messages.labels(self._service, group, "duplicate").inc(count)

    def retried(self, group: str, count: int) -> None:
        self._messages.labels(self._service, group, "retried").inc(count)

    def dead_lettered(self, group: str, topic: str) -> None:
        self._messages.labels(self._service, group, "dead_lettered").inc()
        self._dead.labels(self._service, group, topic).inc()

    def batch_done(self, group: str, size: int, seconds: float) -> None:
        self._batch_seconds.labels(self._service, group).observe(seconds)
        self._batch_size.labels(self._service, group).observe(size)

    def lag(self, group: str, topic: str, partition: int, messages: int) -> None:
        self._lag.labels(self._service, group, topic, str(partition)).set(max(messages, 0))


class OutboxMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self._service = service
        self._published = Counter(
            "sms_outbox_published_total",
            "Outbox messages acknowledged by the broker.",
            ["service"],
            registry=registry,
        )
        self._failures = Counter(
            "sms_outbox_publish_failures_total",
            "Outbox batches the broker did not acknowledge (retried).",
            ["service"],
            registry=registry,
        )
        self._pending = Gauge(
            "sms_outbox_pending",
            "Outbox messages not yet published.",
            ["service"],
            registry=registry,
        )
        self._oldest = Gauge(
            "sms_outbox_oldest_pending_seconds",
            "Age of the oldest outbox message not yet published.",
            ["service"],
            registry=registry,
        )

    def published(self, count: int) -> None:
        self._published.labels(self._service).inc(count)

    def publish_failed(self) -> None:
        self._failures.labels(self._service).inc()

    async def observe_pending(self, conn: Connection) -> None:
        row = await conn.fetchrow(
            "SELECT count(*) AS pending,"
            " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest"
            " FROM outbox WHERE published_at IS NULL"
        )
        assert row is not None
        self._pending.labels(self._service).set(row["pending"])
        self._oldest.labels(self._service).set(float(row["oldest"]))

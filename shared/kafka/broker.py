"""The FastStream broker factory and the wiring of a `BatchConsumer` as a batch subscriber."""

from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from shared.contracts.topics import TopicNaming
from shared.kafka.consumer import BatchConsumer


def create_broker(
    bootstrap_servers: str,
    *,
    service: str,
    client_id: str,
    registry: CollectorRegistry,
) -> KafkaBroker:
    """A broker whose producer is idempotent with acks=all and whose subscribers never auto-commit.

    Topics are created by the deployment with their partition counts, never implicitly.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        ack_policy=AckPolicy.MANUAL,
        graceful_timeout=30.0,
        middlewares=(
            KafkaPrometheusMiddleware(
                registry=registry, app_name=service, metrics_prefix="faststream"
            ),
        ),
        logger=logging.getLogger(f"{service}.kafka"),
    )


def attach_batch_consumer(
    broker: KafkaBroker,
    consumer: BatchConsumer,
    naming: TopicNaming,
    *,
    max_records: int,
    batch_timeout_ms: int,
) -> None:
    """Subscribe `consumer` to its topics as one consumer-group member reading batches.

    The policy is MANUAL: `BatchConsumer.process` seeks and commits itself, after its writes.
    """
    subscriber = broker.subscriber(
        *[naming.topic(topic) for topic in consumer.topics],
        group_id=naming.group(consumer.group),
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title=f"{consumer.group}:batch",
    )

    @subscriber
    async def consume(message: KafkaMessage) -> None:
        records = message.raw_message
        assert isinstance(records, tuple)
        await consumer.process(records, message.consumer)

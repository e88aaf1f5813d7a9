"""The lag each consumer exports after a batch: the partition's highwater mark minus the next
offset it will read (a rewound partition counts from where it will read again)."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import generate_latest

from shared.contracts.topics import TopicNaming
from shared.kafka.consumer import BatchConsumer
from shared.metrics import ConsumerMetrics, create_registry


class OpsWithHighwater:
    def __init__(self, highwater: dict[TopicPartition, int], revoked: set[TopicPartition]) -> None:
        self._highwater = highwater
        self._revoked = revoked

    def seek(self, partition: TopicPartition, offset: int) -> None:
        return None

    async def commit(self) -> None:
        return None

    def highwater(self, partition: TopicPartition) -> int | None:
        assert partition not in self._revoked, "Partition is not assigned"
        return self._highwater.get(partition)


def record(topic: str, partition: int, offset: int) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(topic, partition, offset, 0, 0, None, b"", None, 0, 0, [])


def metrics_text() -> tuple[BatchConsumer, Any]:
    registry = create_registry()
    nothing: Any = None
    consumer = BatchConsumer(
        group="g",
        handlers={"sms.status.v1": nothing},
        pool=nothing,
        dead_letters=nothing,
        naming=TopicNaming("p."),
        metrics=ConsumerMetrics(registry, "svc"),
    )
    return consumer, registry


def test_lag_is_the_highwater_minus_the_next_offset_per_partition() -> None:
    consumer, registry = metrics_text()
    p0, p1, gone = (TopicPartition("p.sms.status.v1", i) for i in (0, 1, 2))
    ops = OpsWithHighwater({p0: 10, p1: 4, gone: 9}, revoked={gone})
    records = [record(p0.topic, 0, 6), record(p0.topic, 0, 7), record(p1.topic, 1, 3)]
    records.append(record(gone.topic, 2, 1))
    consumer._observe_lag(records, ops, rewind={p1: 2})
    text = generate_latest(registry).decode()
    labels = 'group="g",partition="{}",service="svc",topic="sms.status.v1"'
    assert f"sms_consumer_lag_messages{{{labels.format(0)}}} 2.0" in text
    assert f"sms_consumer_lag_messages{{{labels.format(1)}}} 2.0" in text
    assert 'partition="2"' not in text  # revoked meanwhile: nothing to say


def test_a_client_without_highwater_exports_no_lag() -> None:
    consumer, registry = metrics_text()

    class Plain:
        def seek(self, partition: TopicPartition, offset: int) -> None:
            return None

        async def commit(self) -> None:
            return None

    consumer._observe_lag([record("p.sms.status.v1", 0, 1)], Plain(), {})
    assert "sms_consumer_lag_messages{" not in generate_latest(registry).decode()

"""The consumer's rewinding, with a fake of the Kafka client (our own port)."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError

from shared.contracts.topics import TopicNaming
from shared.kafka.consumer import BatchConsumer


class FakeOps:
    def __init__(self, revoked: set[TopicPartition]) -> None:
        self.revoked = revoked
        self.seeks: dict[TopicPartition, int] = {}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if partition in self.revoked:
            raise IllegalStateError("no current assignment")
        self.seeks[partition] = offset

    async def commit(self) -> None:
        return None


def consumer() -> BatchConsumer:
    nothing: Any = None
    return BatchConsumer(
        group="g",
        handlers={},
        pool=nothing,
        dead_letters=nothing,
        naming=TopicNaming(),
        metrics=nothing,
    )


def test_a_partition_revoked_mid_batch_does_not_stop_the_others_from_being_rewound() -> None:
    revoked, kept = TopicPartition("t", 0), TopicPartition("t", 1)
    ops = FakeOps({revoked})
    consumer()._rewind(ops, {revoked: 5, kept: 9})
    assert ops.seeks == {kept: 9}

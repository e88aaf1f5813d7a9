"""Publishing a message its consumer group gave up on to `<topic>.<group>.dlq`.

The dead letter keeps the original payload encrypted (it may hold a phone number and an SMS
text) and an error summary without personal data, so that operators can inspect, fix and replay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka import ConsumerRecord

from shared.contracts.topics import TopicNaming
from shared.crypto import SecretBox
from shared.db.outbox import OutgoingRecord, RecordProducer

DEAD_LETTER_SCHEMA = "dead-letter.v1"


class DeadLetterPublisher:
    def __init__(
        self, producer: RecordProducer, naming: TopicNaming, box: SecretBox, *, producer_name: str
    ) -> None:
        self._producer = producer
        self._naming = naming
        self._box = box
        self._producer_name = producer_name

    async def publish(
        self,
        *,
        record: ConsumerRecord[Any, Any],
        topic: str,
        group: str,
        message_id: UUID | None,
        error_summary: str,
        attempts: int,
    ) -> None:
        """Publish the dead letter and wait for the broker's acknowledgement."""
        body = {
            "schema": DEAD_LETTER_SCHEMA,
            "producer": self._producer_name,
            "dead_lettered_at": datetime.now(UTC).isoformat(),
            "consumer_group": group,
            "original_topic": topic,
            "original_partition": record.partition,
            "original_offset": record.offset,
            "original_timestamp": record.timestamp,
            "message_id": str(message_id) if message_id else None,
            "attempts": attempts,
            "error": error_summary,
            "payload_encrypted": self._box.encrypt(record.value or b""),
        }
        await self._producer.send_batch(
            [
                OutgoingRecord(
                    topic=self._naming.dead_letter(topic, group),
                    key=record.key,
                    value=json.dumps(body).encode(),
                    headers=(("schema", DEAD_LETTER_SCHEMA.encode()),),
                )
            ]
        )


def decrypt_payload(box: SecretBox, dead_letter: dict[str, Any]) -> bytes:
    """The original message of a dead letter, for an operator who replays it."""
    return box.decrypt(dead_letter["payload_encrypted"])

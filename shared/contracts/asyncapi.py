"""The AsyncAPI document of the platform's topics, generated with FastStream's generator.

Every topic is declared with its producer and its message model, every consumer group with the
topics it reads (the registry in `topics.py`, which a test checks against the services' handlers).
The committed document is `deploy/asyncapi.yaml`; regenerate it with

    uv run python -m shared.contracts.asyncapi > deploy/asyncapi.yaml

and a test fails while the code and the committed document differ.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared.contracts import topics
from shared.contracts.messages import MESSAGE_TYPES

PRODUCERS: dict[str, str] = {
    topics.SCHOOL_SETTINGS: "events",
    topics.SMS_REQUESTED: "events",
    topics.SMS_RESOLVE: "events",
    topics.SMS_SUBMITTED: "dispatcher",
    topics.SMS_REJECTED: "dispatcher",
    topics.PROVIDER_HEALTH: "dispatcher",
    topics.SMS_STATUS: "status-poller",
    topics.SMS_REFRESH: "reporting",
}

VERSION = "1.0.0"


def _consumer(model: type[Any]) -> Any:
    async def consume(messages: list[Any]) -> None:
        """Reads batches; commits after its writes; deduplicates by message_id."""

    consume.__annotations__ = {"messages": list[model], "return": None}  # type: ignore[valid-type]
    return consume


def specification_broker(bootstrap_servers: str = "kafka:9092") -> KafkaBroker:
    """A broker declaring every topic, producer and consumer group (never started)."""
    broker = KafkaBroker(
        bootstrap_servers,
        description="Topics are keyed by the school's UAI; names may carry a deployment prefix.",
    )
    for topic, model in MESSAGE_TYPES.items():
        broker.publisher(
            topic,
            schema=model,
            title=f"{topic} produced by {PRODUCERS[topic]}",
            description=(model.__doc__ or "").strip(),
        )
    for sub in topics.SUBSCRIPTIONS:
        broker.subscriber(
            sub.topic,
            group_id=sub.group,
            batch=True,
            ack_policy=AckPolicy.MANUAL,
            title=f"{sub.topic} consumed by {sub.group}",
            description=f"Consumer group `{sub.group}`; poison messages go to "
            f"`{topics.dead_letter_topic(sub.topic, sub.group)}`.",
        )(_consumer(MESSAGE_TYPES[sub.topic]))
    return broker


def render_yaml() -> str:
    """The document as committed in `deploy/asyncapi.yaml`."""
    spec = AsyncAPI(
        specification_broker(),
        title="SMS absences: topics",
        version=VERSION,
        description="Messages between the events, dispatcher, status-poller and reporting "
        "services. Within v1 only optional fields are added; consumers ignore unknown fields.",
    )
    # FastStream walks sets of publishers and subscribers: sort keys for a stable document.
    document = spec.to_specification().to_jsonable()
    text: str = yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=100)
    return text


if __name__ == "__main__":
    sys.stdout.write(render_yaml())

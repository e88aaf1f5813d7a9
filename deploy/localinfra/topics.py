"""Topic creation and inspection on a Kafka cluster.

Topics are always created explicitly (the local broker runs with `auto.create.topics.enable=false`),
with the partition counts and configs of `shared.contracts.topics`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import (
    ConfigResource,
    ConfigResourceType,
)

from shared.contracts.topics import TopicSpec

log = logging.getLogger(__name__)

# Kafka protocol error codes the creation path treats specially.
_NONE = 0
_TOPIC_ALREADY_EXISTS = 36
# Transient while the controller settles (NOT_CONTROLLER, REQUEST_TIMED_OUT, LEADER_NOT_AVAILABLE…).
_RETRIABLE = {5, 7, 41}


class TopicError(RuntimeError):
    """A topic could not be created or does not match its spec."""


def _admin(bootstrap_servers: str, request_timeout_ms: int = 10_000) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=request_timeout_ms,
        client_id="localinfra-admin",
    )


# The `timeout` parameters below are part of the API: each bounds several awaits and a
# polling loop, which a caller's asyncio.timeout() would cut at an arbitrary point.
async def list_topics(bootstrap_servers: str, timeout: float = 10) -> list[str]:
    """Names of the topics on the cluster (a metadata round trip: also a readiness probe)."""
    admin = _admin(bootstrap_servers, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return list(await asyncio.wait_for(admin.list_topics(), timeout))
    finally:
        await admin.close()


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    """(topic, error_code, message) from any CreateTopics response version."""
    out: list[tuple[str, int, str | None]] = []
    for entry in response.topic_errors:
        # v0 has (name, code); v1+ add the message; later versions append more fields.
        message = entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None
        out.append((entry[0], entry[1], message))
    return out


async def create_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    prefix: str = "",
    replication_factor: int = 1,
    timeout: float = 30,
) -> list[str]:
    """Create the topics of `specs` (names prefixed with `prefix`), idempotently.

    Topics that already exist are left as they are, but a partition-count mismatch is an error
    (the services' keying assumes the registry's counts). Returns only the names this call created,
    after the cluster's metadata shows every topic with all its partitions led.
    """
    wanted = {f"{prefix}{spec.name}": spec for spec in specs}
    if not wanted:
        return []
    deadline = time.monotonic() + timeout
    created: list[str] = []
    admin = _admin(bootstrap_servers)
    try:
        await asyncio.wait_for(admin.start(), timeout)
        pending = dict(wanted)
        while pending:
            new_topics = [
                NewTopic(
                    name=name,
                    num_partitions=spec.partitions,
                    replication_factor=replication_factor,
                    topic_configs=spec.kafka_configs(),
                )
                for name, spec in pending.items()
            ]
            remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
            response = await admin.create_topics(new_topics, timeout_ms=remaining_ms)
            retry: dict[str, TopicSpec] = {}
            for name, code, message in _topic_errors(response):
                if code == _NONE:
                    created.append(name)
                elif code == _TOPIC_ALREADY_EXISTS:
                    pass
                elif code in _RETRIABLE and time.monotonic() < deadline:
                    retry[name] = pending[name]
                else:
                    raise TopicError(
                        f"creating topic {name!r} failed: error {code} {message or ''}"
                    )
            pending = retry
            if pending:
                await asyncio.sleep(0.5)
        await _wait_for_metadata(admin, wanted, deadline)
    finally:
        await admin.close()
    if created:
        log.info("created %d topic(s) on %s", len(created), bootstrap_servers)
    return created


async def _wait_for_metadata(
    admin: AIOKafkaAdminClient, wanted: dict[str, TopicSpec], deadline: float
) -> None:
    """Poll metadata until every topic has its partition count and a leader for each partition.

    Topic creation returns once the controller has committed it; brokers learn about it a moment
    later, and a producer sent to a partition without a leader would fail.
    """
    names = sorted(wanted)
    while True:
        missing: list[str] = []
        for topic in await admin.describe_topics(names):
            name = topic["topic"]
            partitions = topic.get("partitions") or []
            expected = wanted[name].partitions
            if topic["error_code"] != _NONE:
                missing.append(name)
            elif partitions and len(partitions) != expected:
                # An existing topic with another count: waiting would not fix it.
                raise TopicError(
                    f"topic {name!r} exists with {len(partitions)} partitions, "
                    f"the registry says {expected}"
                )
            elif not partitions or any(p["leader"] < 0 for p in partitions):
                missing.append(name)
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"topics not ready in metadata: {', '.join(missing)}")
        await asyncio.sleep(0.2)


async def describe_topic_config(
    bootstrap_servers: str,
    topic: str,
    timeout: float = 10,
) -> dict[str, str | None]:
    """All configs of `topic` as the broker reports them (explicit and default values)."""
    admin = _admin(bootstrap_servers, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    configs: dict[str, str | None] = {}
    for response in responses:
        for resource in response.resources:
            # (error_code, error_message, resource_type, resource_name, config_entries)
            code, message, entries = resource[0], resource[1], resource[4]
            if code != _NONE:
                raise TopicError(f"describe configs of {topic!r} failed: error {code} {message}")
            for entry in entries:
                configs[entry[0]] = entry[1]
    return configs

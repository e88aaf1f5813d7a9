"""Rebuilding the read model: replay the four topics into an empty schema.

Topic retention is limited (privacy), so a rebuild gives back the SMS the topics still hold;
within that period the lists and the counters come out identical to the ones the service built
live, because every write is idempotent and independent of arrival order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from shared.contracts import ContractError, Envelope, decode
from shared.db.pool import set_tenant_scope
from shared.kafka.consumer import BatchHandler
from shared.kafka.errors import is_transient, summarize_error

log = logging.getLogger(__name__)


class SchemaNotEmptyError(RuntimeError):
    """The target schema already holds SMS rows: a rebuild only fills an empty one."""


@dataclass
class RebuildReport:
    read: int = 0
    applied: int = 0
    skipped: list[str] = field(default_factory=list)  # topic:partition:offset, no content


async def replay(
    pool: asyncpg.Pool[Any],
    batches: AsyncIterator[Sequence[ConsumerRecord[Any, Any]]],
    handlers: Mapping[str, BatchHandler],
    logical_topic: Callable[[str], str],
) -> RebuildReport:
    """Apply every record of `batches` with the service's own handlers, batch by batch.

    A batch goes in one transaction declared for its schools. A record that cannot be applied
    (it failed live too, and sits in a dead-letter topic) is skipped and reported by position;
    an outage (database away) stops the rebuild, to be run again on an empty schema.
    """
    report = RebuildReport()
    async for records in batches:
        report.read += len(records)
        decoded: list[tuple[str, Envelope, str]] = []
        for record in records:
            ref = f"{record.topic}:{record.partition}:{record.offset}"
            topic = logical_topic(record.topic)
            try:
                decoded.append((topic, decode(topic, record.value or b""), ref))
            except ContractError:
                report.skipped.append(ref)
        try:
            await _apply(pool, handlers, decoded)
            report.applied += len(decoded)
            continue
        except Exception as exc:
            if is_transient(exc):
                raise
        for item in decoded:
            try:
                await _apply(pool, handlers, [item])
                report.applied += 1
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "record skipped by the rebuild",
                    extra={"ref": item[2], "error": summarize_error(exc)},
                )
                report.skipped.append(item[2])
    return report


async def _apply(
    pool: asyncpg.Pool[Any],
    handlers: Mapping[str, BatchHandler],
    items: Sequence[tuple[str, Envelope, str]],
) -> None:
    if not items:
        return
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant_scope(conn, {message.uai for _, message, _ in items})
        by_topic: dict[str, list[Envelope]] = {}
        for topic, message, _ in items:
            by_topic.setdefault(topic, []).append(message)
        for topic, messages in by_topic.items():
            await handlers[topic](conn, messages)

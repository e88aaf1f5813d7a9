"""The consumer inbox: a message id is processed at most once per consumer group.

The claim is written in the same transaction as the handler's effects, so a message is either
processed and recorded, or neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.types import Connection


async def claim(conn: Connection, consumer_group: str, message_ids: Iterable[UUID]) -> set[UUID]:
    """Record the ids as processed by `consumer_group`; returns those not seen before."""
    ids = list(dict.fromkeys(message_ids))
    if not ids:
        return set()
    rows = await conn.fetch(
        """
        INSERT INTO inbox (consumer_group, message_id)
        SELECT $1, id FROM unnest($2::uuid[]) AS t(id)
        ON CONFLICT DO NOTHING
        RETURNING message_id
        """,
        consumer_group,
        ids,
    )
    return {row["message_id"] for row in rows}


async def purge_older_than(pool: asyncpg.Pool[Any], days: int) -> int:
    """Forget inbox entries older than the topics' retention: those messages cannot come back."""
    result: str = await pool.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", days
    )
    return int(result.split()[-1])

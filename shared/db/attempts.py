"""Failure counters per consumed message, kept in PostgreSQL so they survive restarts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from shared.db.types import Connection


async def record_failure(
    pool: asyncpg.Pool[Any], consumer_group: str, message_ref: str, error_summary: str
) -> int:
    """Count one more failed attempt for the message; returns the attempts so far."""
    attempts: int = await pool.fetchval(
        """
        INSERT INTO consumer_attempts (consumer_group, message_ref, attempts, last_error)
        VALUES ($1, $2, 1, $3)
        ON CONFLICT (consumer_group, message_ref) DO UPDATE
           SET attempts = consumer_attempts.attempts + 1,
               last_error = EXCLUDED.last_error,
               last_failed_at = now()
        RETURNING attempts
        """,
        consumer_group,
        message_ref,
        error_summary,
    )
    return attempts


async def mark_dead_lettered(
    pool: asyncpg.Pool[Any], consumer_group: str, message_ref: str
) -> None:
    await pool.execute(
        "UPDATE consumer_attempts SET dead_lettered_at = now()"
        " WHERE consumer_group = $1 AND message_ref = $2",
        consumer_group,
        message_ref,
    )


async def dead_lettered(
    pool: asyncpg.Pool[Any], consumer_group: str, message_refs: Iterable[str]
) -> set[str]:
    """Which of these messages were already sent to the dead-letter topic."""
    refs = list(message_refs)
    if not refs:
        return set()
    rows = await pool.fetch(
        "SELECT message_ref FROM consumer_attempts"
        " WHERE consumer_group = $1 AND message_ref = ANY($2::text[])"
        " AND dead_lettered_at IS NOT NULL",
        consumer_group,
        refs,
    )
    return {row["message_ref"] for row in rows}


async def clear(conn: Connection, consumer_group: str, message_refs: list[str]) -> None:
    """Forget the counters of messages that were finally processed."""
    if message_refs:
        await conn.execute(
            "DELETE FROM consumer_attempts WHERE consumer_group = $1"
            " AND message_ref = ANY($2::text[])",
            consumer_group,
            message_refs,
        )

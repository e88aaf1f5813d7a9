"""Transactions declared for one school, as row-level security expects them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.db.types import Connection


@contextlib.asynccontextmanager
async def school_transaction(
    pool: asyncpg.Pool[Any], uai: str, *, readonly: bool = False
) -> AsyncIterator[Connection]:
    """A transaction that sees the rows of school `uai` only.

    Read-only transactions run at REPEATABLE READ so that a page and its count come from one
    snapshot.
    """
    async with tenant_transaction(pool, {uai}, readonly=readonly) as conn:
        yield conn


@contextlib.asynccontextmanager
async def academie_transaction(
    pool: asyncpg.Pool[Any], *, reason: str
) -> AsyncIterator[Connection]:
    """A read-only transaction over every school, for the académie's roll-up and the metrics.

    `reason` names the path in the log (no personal data).
    """
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await set_all_schools_scope(conn, reason)
        yield conn

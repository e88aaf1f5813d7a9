"""Transactions declared for one school, as row-level security expects them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

import asyncpg

from shared.db.pool import set_tenant_scope
from shared.db.types import Connection


@contextlib.asynccontextmanager
async def school_transaction(
    pool: asyncpg.Pool[Any], uai: str, *, readonly: bool = False
) -> AsyncIterator[Connection]:
    """A transaction that sees the rows of school `uai` only.

    Read-only transactions run at REPEATABLE READ so that a page and its count come from one
    snapshot.
    """
    isolation: Literal["repeatable_read", "read_committed"] = (
        "repeatable_read" if readonly else "read_committed"
    )
    async with pool.acquire() as conn, conn.transaction(isolation=isolation, readonly=readonly):
        await set_tenant_scope(conn, {uai})
        yield conn

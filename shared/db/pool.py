"""asyncpg pools bound to one service's schema, and the tenant scope each transaction declares.

Row-level security is the second tenant wall behind the HTTP check: every table holding a school's
data lets a transaction see and write only the rows of the schools it declared
(`set_tenant_scope`, or `tenant_transaction` which opens the transaction and declares it). A
transaction that declares nothing sees nothing. The few paths that legitimately work across
schools (a sender's claim of due SMS, the poller's claim) say so with `set_all_schools_scope`.
The policies read these settings through each schema's `tenant_allows(uai)`
(shared/db/migrations/0002_tenant_scope.sql).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Collection
from typing import Any, Literal

import asyncpg

from shared.db.types import Connection

log = logging.getLogger(__name__)


async def _init_connection(conn: Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str,
    schema: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    application_name: str = "sms",
) -> asyncpg.Pool[Any]:
    """A pool whose connections resolve unqualified names in `schema` and decode JSON columns."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": schema, "application_name": application_name},
        command_timeout=60,
    )
    assert pool is not None
    return pool


def _require_transaction(conn: Connection, what: str) -> None:
    # The settings are transaction-local: outside a transaction they would last one statement.
    if not conn.is_in_transaction():
        raise RuntimeError(f"{what} must be called inside a transaction")


async def set_tenant_scope(conn: Connection, uais: Collection[str]) -> None:
    """Declare the schools the current transaction works for (read by row-level security).

    The policies split the declaration on commas, so a UAI holding one (or an empty one) is
    refused rather than read as other schools.
    """
    if isinstance(uais, str):
        raise TypeError("set_tenant_scope takes a collection of UAIs, not one string")
    for uai in uais:
        if not uai or "," in uai:
            raise ValueError(f"not a school identifier: {uai!r}")
    _require_transaction(conn, "set_tenant_scope")
    await conn.execute("SELECT set_config('app.tenant_uais', $1, true)", ",".join(sorted(uais)))


async def set_all_schools_scope(conn: Connection, reason: str) -> None:
    """Declare that the current transaction works across every school.

    Only for the paths that must (today the dispatcher's and the status-poller's claims of due
    rows; later the académie roll-up and the purge). `reason` names the path in the log line each
    call writes; it must carry no personal data.
    """
    _require_transaction(conn, "set_all_schools_scope")
    log.debug("transaction declared for all schools", extra={"reason": reason})
    await conn.execute("SELECT set_config('app.tenant_all', 'on', true)")


@contextlib.asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool[Any], uais: Collection[str], *, readonly: bool = False
) -> AsyncIterator[Connection]:
    """A connection of `pool` in a transaction that sees the rows of `uais` only.

    Read-only transactions run at REPEATABLE READ, so that a page and its count come from one
    snapshot; the others at READ COMMITTED.
    """
    isolation: Literal["repeatable_read", "read_committed"] = (
        "repeatable_read" if readonly else "read_committed"
    )
    async with pool.acquire() as conn, conn.transaction(isolation=isolation, readonly=readonly):
        await set_tenant_scope(conn, uais)
        yield conn

"""asyncpg pools bound to one service's schema."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.db.types import Connection


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


async def set_tenant_scope(conn: Connection, uais: set[str] | frozenset[str]) -> None:
    """Declare the schools the current transaction works for (read by row-level security)."""
    await conn.execute("SELECT set_config('app.tenant_uais', $1, true)", ",".join(sorted(uais)))

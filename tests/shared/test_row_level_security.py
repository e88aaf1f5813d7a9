"""PostgreSQL row-level security, the second tenant wall behind the HTTP check, on the real server.

Every table holding a school's data (every table with a `uai` column) in every service's schema
has RLS enabled and forced, with a policy limiting rows to the schools the transaction declared
(`shared.db.pool`): nothing declared, nothing seen; one school, only its rows; the explicit
all-schools scope, every row. The services work as a role that owns nothing and cannot bypass RLS.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from fastapi import FastAPI

from dispatcher.main import build_app as build_dispatcher
from dispatcher.settings import DispatcherSettings
from events.main import build_app as build_events
from events.settings import EventsSettings
from reporting.main import build_app as build_reporting
from reporting.settings import ReportingSettings
from shared.db.pool import (
    create_pool,
    set_all_schools_scope,
    set_tenant_scope,
    tenant_transaction,
)
from shared.settings import ServiceSettings
from status_poller.main import build_app as build_status_poller
from status_poller.settings import StatusPollerSettings

SCHOOL_A = "0750001A"
SCHOOL_B = "0930002B"

SERVICES: dict[str, tuple[Callable[[Any], FastAPI], type[ServiceSettings]]] = {
    "events": (build_events, EventsSettings),
    "dispatcher": (build_dispatcher, DispatcherSettings),
    "poller": (build_status_poller, StatusPollerSettings),
    "reporting": (build_reporting, ReportingSettings),
}

# What the services hold per school today: the generic check below must at least find these.
KNOWN_SCHOOL_TABLES = {
    ("events", "schools"),
    ("events", "provider_settings"),
    ("events", "actions"),
    ("events", "pupils"),
    ("events", "recipients"),
    ("events", "absences"),
    ("events", "sms"),
    ("dispatcher", "send_queue"),
    ("dispatcher", "provider_accounts"),
    ("poller", "tracked_sms"),
    ("poller", "provider_accounts"),
    ("reporting", "sms_tracking"),
    ("reporting", "monthly_counts"),
    ("reporting", "school_calendars"),
}


async def migrate(isolation: Any, service: str) -> ServiceSettings:
    build, settings_class = SERVICES[service]
    settings = isolation.settings(settings_class, db_schema=f"{isolation.schema}_{service}")
    await build(settings).state.runtime.run_migrations()
    return settings


@pytest.fixture
async def dispatcher_pool(isolation: Any) -> AsyncIterator[tuple[str, asyncpg.Pool[Any]]]:
    """The dispatcher's schema, migrated, and a pool of the services' role bound to it."""
    settings = await migrate(isolation, "dispatcher")
    pool = await create_pool(settings.database_dsn.get_secret_value(), settings.db_schema)
    try:
        yield settings.db_schema, pool
    finally:
        await pool.close()


async def queue_sms(conn: Any, uai: str) -> None:
    await conn.execute(
        """
        INSERT INTO send_queue (sms_id, uai, absence_id, action_code, recipient_role,
                                recipient_phone, text, segments)
        VALUES ($1, $2, $3, 'SMS', 'Légal 1', '+33600000000', 'Absence', 1)
        """,
        uuid4(),
        uai,
        uuid4(),
    )


async def two_schools(pool: asyncpg.Pool[Any]) -> None:
    """Two SMS of school A and one of school B in the send queue."""
    async with tenant_transaction(pool, {SCHOOL_A, SCHOOL_B}) as conn:
        for uai in (SCHOOL_A, SCHOOL_A, SCHOOL_B):
            await queue_sms(conn, uai)


async def schools_seen(conn: Any) -> list[str]:
    return [r["uai"] for r in await conn.fetch("SELECT uai FROM send_queue ORDER BY uai")]


async def test_every_table_with_a_uai_column_has_forced_row_level_security_and_a_policy(
    isolation, owner_conn
) -> None:
    schemas = {}
    for service in SERVICES:
        schemas[(await migrate(isolation, service)).db_schema] = service
    tables = await owner_conn.fetch(
        """
        SELECT c.table_schema, c.table_name, k.relrowsecurity, k.relforcerowsecurity
          FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
          JOIN pg_class k ON k.oid = format('%I.%I', c.table_schema, c.table_name)::regclass
         WHERE c.column_name = 'uai' AND c.table_schema = ANY($1::text[])
           AND t.table_type = 'BASE TABLE'
        """,
        list(schemas),
    )
    found = {(schemas[r["table_schema"]], r["table_name"]) for r in tables}
    assert found >= KNOWN_SCHOOL_TABLES, KNOWN_SCHOOL_TABLES - found
    policies = await owner_conn.fetch(
        "SELECT schemaname, tablename, cmd, roles, qual, with_check FROM pg_policies"
        " WHERE schemaname = ANY($1::text[])",
        list(schemas),
    )
    by_table: dict[tuple[str, str], list[asyncpg.Record]] = {}
    for policy in policies:
        by_table.setdefault((policy["schemaname"], policy["tablename"]), []).append(policy)
    unwalled = []
    for row in tables:
        key = (row["table_schema"], row["table_name"])
        walls = [
            p
            for p in by_table.get(key, [])
            if p["cmd"] == "ALL"
            and p["roles"] == ["public"]
            and "tenant_allows(uai)" in (p["qual"] or "")
            and "tenant_allows(uai)" in (p["with_check"] or "")
        ]
        if not (row["relrowsecurity"] and row["relforcerowsecurity"] and walls):
            unwalled.append(f"{schemas[key[0]]}.{key[1]}")
    assert unwalled == [], f"tables with a uai column but no forced tenant policy: {unwalled}"
    # The outbox is plumbing the relay reads across schools: its Kafka key carries the UAI.
    assert ("events", "outbox") not in found


async def test_a_transaction_that_declares_no_school_sees_nothing(
    dispatcher_pool, owner_conn
) -> None:
    schema, pool = dispatcher_pool
    await two_schools(pool)
    async with pool.acquire() as conn:
        assert await schools_seen(conn) == []
        async with conn.transaction():
            assert await schools_seen(conn) == []
            assert await conn.execute("UPDATE send_queue SET attempts = 9") == "UPDATE 0"
            assert await conn.execute("DELETE FROM send_queue") == "DELETE 0"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await queue_sms(conn, SCHOOL_A)
    # FORCE: the tables' owner (the migrations' role) is held to the wall as well.
    assert await owner_conn.fetchval(f"SELECT count(*) FROM {schema}.send_queue") == 0


async def test_a_school_sees_only_its_rows_and_cannot_write_another_schools(
    dispatcher_pool,
) -> None:
    _, pool = dispatcher_pool
    await two_schools(pool)
    async with tenant_transaction(pool, {SCHOOL_A}) as conn:
        assert await schools_seen(conn) == [SCHOOL_A, SCHOOL_A]
        assert await conn.execute("UPDATE send_queue SET attempts = 9") == "UPDATE 2"
        await queue_sms(conn, SCHOOL_A)
    async with tenant_transaction(pool, {SCHOOL_A}) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await queue_sms(conn, SCHOOL_B)
    async with tenant_transaction(pool, {SCHOOL_A}) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor move a row to it
            await conn.execute("UPDATE send_queue SET uai = $1", SCHOOL_B)
    async with tenant_transaction(pool, {SCHOOL_A}) as conn:
        assert await conn.execute("DELETE FROM send_queue WHERE uai = $1", SCHOOL_B) == "DELETE 0"
    async with tenant_transaction(pool, {SCHOOL_B}) as conn:
        assert [r["attempts"] for r in await conn.fetch("SELECT attempts FROM send_queue")] == [0]


async def test_the_all_schools_scope_sees_every_school_and_ends_with_its_transaction(
    dispatcher_pool, caplog
) -> None:
    _, pool = dispatcher_pool
    await two_schools(pool)
    async with pool.acquire() as conn:
        with caplog.at_level(logging.DEBUG, logger="shared.db.pool"):
            async with conn.transaction():
                await set_all_schools_scope(conn, "test: read every school")
                assert await schools_seen(conn) == [SCHOOL_A, SCHOOL_A, SCHOOL_B]
                await queue_sms(conn, SCHOOL_B)
        # The same (pooled) connection, next transaction: the declaration is gone.
        async with conn.transaction():
            assert await schools_seen(conn) == []
    [record] = [r for r in caplog.records if r.name == "shared.db.pool"]
    assert (record.levelno, getattr(record, "reason", None)) == (
        logging.DEBUG,
        "test: read every school",
    )


async def test_the_services_role_owns_nothing_and_cannot_bypass_row_level_security(
    dispatcher_pool, owner_conn
) -> None:
    schema, pool = dispatcher_pool
    role = await pool.fetchrow(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert role is not None
    assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
    owners = await owner_conn.fetch(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = $1", schema
    )
    assert owners, "the schema has tables"
    assert [r["tablename"] for r in owners if r["tableowner"] == role["rolname"]] == []
    assert not await owner_conn.fetchval(
        "SELECT pg_has_role($1, r.rolname, 'MEMBER') FROM pg_roles r WHERE r.rolname = $2",
        role["rolname"],
        owners[0]["tableowner"],
    ), "a member of the owner's role would act as the owner"


async def test_a_scoped_query_still_uses_the_index_on_uai(isolation, owner_conn) -> None:
    """The policy's function is inlined: a query's own `uai = $1` drives the index, and the
    policy only filters the rows found (thousands of schools share each table)."""
    settings = await migrate(isolation, "events")
    schema = settings.db_schema
    pool = await create_pool(settings.database_dsn.get_secret_value(), schema)
    try:
        schools = [f"{n:07d}X" for n in range(400)]
        async with pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "test: seed many schools")
            await conn.execute(
                "INSERT INTO schools (uai, name) SELECT u, u FROM unnest($1::text[]) AS u", schools
            )
            await conn.execute(
                """
                INSERT INTO pupils (id, uai, last_name, first_name)
                SELECT gen_random_uuid(), s.u, 'NOM' || n, 'Prénom'
                  FROM unnest($1::text[]) AS s(u), generate_series(1, 40) AS n
                """,
                schools,
            )
        await owner_conn.execute(f"ANALYZE {schema}.pupils")
        async with tenant_transaction(pool, {schools[7]}, readonly=True) as conn:
            plan = json.dumps(
                await conn.fetchval(
                    "EXPLAIN (FORMAT JSON) SELECT id, last_name FROM pupils WHERE uai = $1"
                    " ORDER BY last_name, first_name LIMIT 50",
                    schools[7],
                )
            )
            assert await conn.fetchval("SELECT count(*) FROM pupils") == 40
        assert "pupils_uai_idx" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "tenant_allows" not in plan, "the policy's function was not inlined: " + plan
    finally:
        await pool.close()


async def test_declarations_are_transaction_local_and_refuse_what_would_widen_them(
    dispatcher_pool,
) -> None:
    _, pool = dispatcher_pool
    await two_schools(pool)
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside a transaction"):  # else: one statement
            await set_tenant_scope(conn, {SCHOOL_A})
        with pytest.raises(RuntimeError, match="inside a transaction"):
            await set_all_schools_scope(conn, "test")
        async with conn.transaction():
            with pytest.raises(ValueError, match="not a school identifier"):  # split on commas
                await set_tenant_scope(conn, {f"{SCHOOL_A},{SCHOOL_B}"})
            with pytest.raises(TypeError):  # a bare string would be read as its characters
                await set_tenant_scope(conn, SCHOOL_A)
            assert await schools_seen(conn) == []
    async with tenant_transaction(pool, {SCHOOL_B}, readonly=True) as conn:
        assert await conn.fetchval("SHOW transaction_isolation") == "repeatable read"
        assert await schools_seen(conn) == [SCHOOL_B]
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await queue_sms(conn, SCHOOL_B)

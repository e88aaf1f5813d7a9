"""The idempotent producer against the project's broker, and the migrations runner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from support.kafka_probe import read_all

from shared.db.migrations import MigrationError, migrate
from shared.db.outbox import OutgoingRecord
from shared.kafka.producer import KafkaRecordProducer


@pytest.mark.timeout(60)
async def test_idempotent_producer_gets_a_producer_id_and_delivers_each_record_once(
    infra, isolation, topics
) -> None:
    await topics()
    topic = isolation.prefix + "sms.status.v1"
    producer = KafkaRecordProducer(infra.kafka_bootstrap, client_id="t-idempotent")
    records = [
        OutgoingRecord(topic, f"075{i % 50:04d}A".encode(), f"record-{i}".encode(), ())
        for i in range(2000)
    ]
    try:
        await producer.send_batch(records)
        client = producer._producer
        assert client is not None
        assert client._txn_manager is not None and client._txn_manager.producer_id >= 0
    finally:
        await producer.stop()
    received = sorted(r.value for r in await read_all(infra.kafka_bootstrap, topic))
    assert received == sorted(r.value for r in records)


def write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(sql)


@pytest.mark.timeout(60)
async def test_concurrent_migrations_apply_each_file_once(infra, isolation, tmp_path) -> None:
    folder = tmp_path / "m"
    write(folder, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    write(folder, "0002_more.sql", "INSERT INTO things VALUES (1);")
    results = await asyncio.gather(
        *[
            migrate(infra.owner_dsn, isolation.schema, [("svc", folder)], app_role=infra.app_role)
            for _ in range(4)
        ]
    )
    assert sorted(len(applied) for applied in results) == [0, 0, 0, 2]
    conn = await asyncpg.connect(infra.owner_dsn)
    try:
        assert await conn.fetchval(f"SELECT count(*) FROM {isolation.schema}.things") == 1
    finally:
        await conn.close()


@pytest.mark.timeout(60)
async def test_a_changed_applied_migration_is_refused(infra, isolation, tmp_path) -> None:
    folder = tmp_path / "m"
    write(folder, "0001_things.sql", "CREATE TABLE things (id int);")
    await migrate(infra.owner_dsn, isolation.schema, [("svc", folder)])
    write(folder, "0001_things.sql", "CREATE TABLE things (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(infra.owner_dsn, isolation.schema, [("svc", folder)])


@pytest.mark.timeout(60)
async def test_the_app_role_reads_and_writes_but_cannot_change_the_schema(
    infra, isolation, tmp_path
) -> None:
    folder = tmp_path / "m"
    write(folder, "0001_things.sql", "CREATE TABLE things (id int);")
    await migrate(infra.owner_dsn, isolation.schema, [("svc", folder)], app_role=infra.app_role)
    conn = await asyncpg.connect(infra.app_dsn, server_settings={"search_path": isolation.schema})
    try:
        await conn.execute("INSERT INTO things VALUES (7)")
        assert await conn.fetchval("SELECT id FROM things") == 7
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE intruder (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DROP TABLE things")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SELECT * FROM schema_migrations")
    finally:
        await conn.close()

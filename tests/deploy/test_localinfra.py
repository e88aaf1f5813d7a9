"""The local runner against a REAL Kafka broker and a REAL PostgreSQL server (one of each)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from localinfra.docker_probe import docker_engine_available
from localinfra.kafka import KafkaServer
from localinfra.postgres import PostgresError, PostgresServer, find_pg_bin
from localinfra.provisioning import dsn, provision
from localinfra.stack import LocalInfra
from localinfra.topics import TopicError, create_topics, describe_topic_config
from shared.contracts.topics import SCHOOL_SETTINGS, SMS_REQUESTED, TopicSpec, all_topic_specs

pytestmark = pytest.mark.timeout(120)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _have_postgres() -> bool:
    try:
        find_pg_bin()
    except PostgresError:
        return False
    return True


needs_kafka = pytest.mark.skipif(
    shutil.which("java") is None
    or (shutil.which("mvn") is None and not (REPO_ROOT / ".local" / "kafka").is_dir()),
    reason="a local Kafka broker needs Java and Maven",
)
needs_postgres = pytest.mark.skipif(not _have_postgres(), reason="no PostgreSQL binaries")


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    server = KafkaServer(tmp_path_factory.mktemp("kafka"))
    server.start(timeout=90)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path_factory.mktemp("postgres"), fast_unsafe=True)
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}."


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=0
    )
    await producer.start()
    try:
        for i, value in enumerate(values):
            await producer.send_and_wait(topic, value, key=f"k{i}".encode(), headers=[("h", b"1")])
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, partitions: int, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        got: list[bytes] = []
        deadline = time.monotonic() + 20
        while len(got) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            got += [msg.value for records in batches.values() for msg in records]
        return got
    finally:
        await consumer.stop()


@needs_kafka
@pytest.mark.asyncio
async def test_produce_consume_round_trip_with_consumer_group(kafka: KafkaServer) -> None:
    prefix = _unique("rt")
    await create_topics(kafka.bootstrap_servers, [TopicSpec("roundtrip", partitions=3)], prefix)
    topic = f"{prefix}roundtrip"
    await _produce(kafka.bootstrap_servers, topic, [b"hello"])

    # A group member: exercises the group coordinator and __consumer_offsets (RF 1) too.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"{prefix}group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        msg = await asyncio.wait_for(consumer.getone(), 30)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert (msg.key, msg.value, list(msg.headers)) == (b"k0", b"hello", [("h", b"1")])


@needs_kafka
@pytest.mark.asyncio
async def test_create_topics_from_the_registry(kafka: KafkaServer) -> None:
    prefix = _unique("reg")
    specs = all_topic_specs()
    created = await create_topics(kafka.bootstrap_servers, specs, prefix)
    assert sorted(created) == sorted(f"{prefix}{s.name}" for s in specs)
    # Idempotent: a second run creates nothing and does not fail.
    assert await create_topics(kafka.bootstrap_servers, specs, prefix) == []

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics(created)}
    finally:
        await admin.close()
    for spec in specs:
        assert len(described[f"{prefix}{spec.name}"]["partitions"]) == spec.partitions
    assert len(described[f"{prefix}{SMS_REQUESTED}"]["partitions"]) == 12

    settings = await describe_topic_config(kafka.bootstrap_servers, f"{prefix}{SCHOOL_SETTINGS}")
    assert settings["cleanup.policy"] == "compact"
    requested = await describe_topic_config(kafka.bootstrap_servers, f"{prefix}{SMS_REQUESTED}")
    assert requested["cleanup.policy"] == "delete"

    # An existing topic with another partition count is reported, not silently accepted.
    with pytest.raises(TopicError, match="partitions"):
        await create_topics(
            kafka.bootstrap_servers, [TopicSpec(SMS_REQUESTED, partitions=6)], prefix, timeout=10
        )


@pytest.mark.slow
@needs_kafka
@pytest.mark.asyncio
async def test_broker_restart_keeps_topic_data(kafka: KafkaServer) -> None:
    prefix = _unique("restart")
    await create_topics(kafka.bootstrap_servers, [TopicSpec("kept", partitions=2)], prefix)
    topic = f"{prefix}kept"
    values = [f"v{i}".encode() for i in range(5)]
    await _produce(kafka.bootstrap_servers, topic, values)
    bootstrap = kafka.bootstrap_servers

    kafka.restart()

    assert kafka.bootstrap_servers == bootstrap
    assert sorted(await _read_all(bootstrap, topic, 2, len(values))) == values


@needs_postgres
@pytest.mark.asyncio
async def test_provision_is_idempotent_and_app_role_cannot_create(
    postgres: PostgresServer,
) -> None:
    admin = postgres.superuser_dsn()
    args = ("appdb", "app_owner", "own'er pw", "app_user", "app:pw/@x")
    # Concurrent and repeated calls: roles are cluster-wide and must not clash.
    await asyncio.gather(*(provision(admin, *args) for _ in range(3)))
    await provision(admin, *args)

    app = await asyncpg.connect(dsn("app_user", "app:pw/@x", "127.0.0.1", postgres.port, "appdb"))
    try:
        assert await app.fetchval("SELECT current_user") == "app_user"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("CREATE TABLE public.nope (id int)")
    finally:
        await app.close()

    owner = await asyncpg.connect(
        dsn("app_owner", "own'er pw", "127.0.0.1", postgres.port, "appdb")
    )
    try:
        await owner.execute("CREATE TABLE public.yes (id int)")
        row = await owner.fetchrow(
            "SELECT r.rolsuper, r.rolbypassrls, pg_get_userbyid(d.datdba) AS dba "
            "FROM pg_roles r, pg_database d WHERE r.rolname = 'app_user' AND d.datname = 'appdb'"
        )
    finally:
        await owner.close()
    assert row is not None
    assert (row["rolsuper"], row["rolbypassrls"], row["dba"]) == (False, False, "app_owner")


@pytest.mark.slow
@needs_postgres
@pytest.mark.asyncio
async def test_postgres_restart_and_crash_keep_committed_data(postgres: PostgresServer) -> None:
    conn = await asyncpg.connect(postgres.superuser_dsn())
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS kept (id int)")
        await conn.execute("INSERT INTO kept VALUES (1)")
    finally:
        await conn.close()
    port = postgres.port

    postgres.restart()
    assert postgres.port == port

    conn = await asyncpg.connect(postgres.superuser_dsn())
    try:
        assert await conn.fetchval("SELECT count(*) FROM kept WHERE id = 1") == 1
        # fast_unsafe sets synchronous_commit=off; a crash may lose the last async commits, so
        # this one waits for its WAL write before the SIGKILL below.
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = on")
            await conn.execute("INSERT INTO kept VALUES (2)")
    finally:
        await conn.close()

    postgres.kill()
    assert not postgres.is_running()
    postgres.start()

    conn = await asyncpg.connect(postgres.superuser_dsn())
    try:
        assert await conn.fetchval("SELECT count(*) FROM kept") == 2
    finally:
        await conn.close()


def _fake_engine(path: Path, response: bytes) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        with server:
            conn, _ = server.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(response)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_docker_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if docker_engine_available():
        pytest.skip("a Docker engine really answers on this machine")
    assert docker_engine_available() is False

    ok = tmp_path / "ok.sock"
    thread = _fake_engine(ok, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nOK")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{ok}")
    assert docker_engine_available() is True
    thread.join(5)

    bad = tmp_path / "bad.sock"
    thread = _fake_engine(bad, b"HTTP/1.0 404 Not Found\r\n\r\nnope")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{bad}")
    assert docker_engine_available() is False
    thread.join(5)

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'missing.sock'}")
    assert docker_engine_available() is False


@needs_kafka
@needs_postgres
def test_local_infra_uses_existing_services(
    kafka: KafkaServer, postgres: PostgresServer, tmp_path: Path
) -> None:
    prefix = _unique("stack")
    with LocalInfra(
        tmp_path,
        kafka_bootstrap=kafka.bootstrap_servers,
        database_admin_dsn=postgres.superuser_dsn(),
        topic_prefix=prefix,
    ) as infra:
        assert infra.kafka is None
        assert infra.postgres is None
        assert len(infra.created_topics) == len(all_topic_specs())
        owner_dsn, app_dsn = infra.provision_database(
            "stackdb", owner=("stack_owner", "o-pw"), app=("stack_app", "a-pw")
        )

    async def whoami(url: str) -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SELECT current_user || '@' || current_database()"))
        finally:
            await conn.close()

    assert asyncio.run(whoami(owner_dsn)) == "stack_owner@stackdb"
    assert asyncio.run(whoami(app_dsn)) == "stack_app@stackdb"
    # Nothing was started, so nothing was stopped.
    assert kafka.is_running()
    assert postgres.is_running()


@pytest.mark.slow
@needs_kafka
@needs_postgres
def test_cli_up_with_existing_services_writes_env_and_stops_on_sigterm(
    kafka: KafkaServer, postgres: PostgresServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SMS_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "SMS_DATABASE_ADMIN_DSN": postgres.superuser_dsn(),
    }
    data_dir = tmp_path / "infra"
    proc = subprocess.Popen(
        [sys.executable, "-m", "localinfra", "up", "--data-dir", str(data_dir), "--prefix", "cli."],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ready in"):
                break
        assert any("Ready in" in line for line in lines), "".join(lines) + (
            proc.stderr.read() if proc.stderr else ""
        )
        printed = "".join(lines)
        env_file = data_dir / "infra.env"
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert values["SMS_KAFKA_BOOTSTRAP_SERVERS"] == kafka.bootstrap_servers
        assert values["SMS_TOPIC_PREFIX"] == "cli."
        assert values["SMS_DATABASE_DSN"].startswith("postgresql://sms_app:")
        assert values["SMS_DATABASE_OWNER_DSN"].startswith("postgresql://sms_owner:")
        # Passwords go to the env file only, never to the terminal.
        app_password = (data_dir / "sms_app.password").read_text().strip()
        assert app_password not in printed
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

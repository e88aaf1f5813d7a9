"""Session-wide real infrastructure: one Kafka broker and one PostgreSQL server per test session.

Tests isolate themselves inside it: each gets its own schema and its own topic/group prefix.
`SMS_TEST_INFRA` chooses the backend: `local` (the project's runner: Kafka from Maven Central
jars, Debian's PostgreSQL), `testcontainers` (needs a Docker engine), or `auto` (testcontainers
when a Docker engine answers, else local). `SMS_TEST_KAFKA_BOOTSTRAP` and
`SMS_TEST_DATABASE_ADMIN_DSN` point the tests at servers that already run.
"""

from __future__ import annotations

import os
import secrets
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from localinfra.docker_probe import docker_engine_available
from localinfra.stack import LocalInfra
from localinfra.topics import create_topics
from shared.contracts.topics import Subscription, all_topic_specs
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class TestInfra:
    kafka_bootstrap: str
    owner_dsn: str
    app_dsn: str
    admin_dsn: str
    stack: LocalInfra
    app_role: str


def _containers() -> tuple[str, str]:
    from support.containers import start_containers

    return start_containers()


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestInfra]:
    choice = os.environ.get("SMS_TEST_INFRA", "auto")
    kafka = os.environ.get("SMS_TEST_KAFKA_BOOTSTRAP")
    admin = os.environ.get("SMS_TEST_DATABASE_ADMIN_DSN")
    if choice == "testcontainers" or (
        choice == "auto" and not (kafka and admin) and docker_engine_available()
    ):
        kafka, admin = _containers()
    stack = LocalInfra(
        tmp_path_factory.mktemp("infra"),
        kafka_bootstrap=kafka,
        database_admin_dsn=admin,
        fast_unsafe=True,
        kafka_heap="1536m",
    )
    stack.start()
    # Sessions sharing one external server (several developers, or parallel runs) each get their
    # own database and roles: provisioning a shared name would reset the other's passwords.
    suffix = f"_{secrets.token_hex(4)}" if admin else ""
    app_role = f"sms_test_app{suffix}"
    try:
        owner_dsn, app_dsn = stack.provision_database(
            f"sms_test{suffix}",
            owner=(f"sms_test_owner{suffix}", secrets.token_urlsafe(16)),
            app=(app_role, secrets.token_urlsafe(16)),
        )
        yield TestInfra(
            stack.kafka_bootstrap_servers, owner_dsn, app_dsn, stack.admin_dsn, stack, app_role
        )
    finally:
        stack.stop()


@dataclass(frozen=True)
class Isolation:
    """One test's private corner of the shared infrastructure."""

    schema: str
    prefix: str
    infra: TestInfra

    def settings(self, cls: type[S], **overrides: Any) -> S:
        values: dict[str, Any] = {
            "profile": "test",
            "kafka_bootstrap_servers": self.infra.kafka_bootstrap,
            "topic_prefix": self.prefix,
            "database_dsn": self.infra.app_dsn,
            "database_owner_dsn": self.infra.owner_dsn,
            "db_schema": self.schema,
            "db_app_role": self.infra.app_role,
            "db_pool_min": 1,
            "db_pool_max": 5,
            "consumer_retry_backoff_s": 0.2,
            "consumer_batch_timeout_ms": 50,
            "outbox_poll_interval_s": 0.05,
        }
        values.update(overrides)
        return cls(**values)

    def env(self, **overrides: Any) -> dict[str, str]:
        """The same settings as environment values, for a service started as a process."""
        settings = self.settings(ServiceSettings, **overrides)
        data: dict[str, Any] = {}
        for name in type(settings).model_fields:
            if name in {"service_name", "http_port"}:
                continue
            value = getattr(settings, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            data[name] = value.value if hasattr(value, "value") else value
        return {key: str(value) for key, value in data.items()}


@pytest.fixture
def isolation(infra: TestInfra) -> Isolation:
    token = uuid.uuid4().hex[:10]
    return Isolation(schema=f"t_{token}", prefix=f"t{token}.", infra=infra)


@pytest.fixture
async def topics(isolation: Isolation) -> AsyncIterator[Callable[..., Any]]:
    """Create the platform's topics (and extra consumer groups' dead-letter topics) for a test;
    they are deleted afterwards, so that a long session does not pile up thousands of
    partitions in the broker's memory."""
    created: list[str] = []

    async def create(*extra: Subscription) -> None:
        specs = all_topic_specs(extra)
        await create_topics(isolation.infra.kafka_bootstrap, specs, isolation.prefix)
        created.extend(isolation.prefix + spec.name for spec in specs)

    yield create
    if created:
        admin = AIOKafkaAdminClient(bootstrap_servers=isolation.infra.kafka_bootstrap)
        try:
            await admin.start()
            await admin.delete_topics(sorted(set(created)))
        except KafkaError as exc:  # a test that stopped the broker: nothing more to clean
            warnings.warn(f"topics of {isolation.prefix} not deleted: {exc!r}", stacklevel=1)
        finally:
            await admin.close()


@pytest.fixture
async def owner_conn(infra: TestInfra) -> AsyncIterator[asyncpg.Connection[Any]]:
    conn = await asyncpg.connect(infra.owner_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path

"""A whole local environment: Kafka + PostgreSQL + the registry's topics, or existing services.

One composition used by `python -m localinfra up`, by test fixtures and by benchmarks, so all three
exercise the same broker and database setup. When a bootstrap address or an admin DSN is given, the
corresponding service is used as is and nothing is started for it.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from types import TracebackType
from urllib.parse import urlparse

from shared.contracts.topics import all_topic_specs

from . import _process
from .kafka import KafkaServer
from .postgres import PostgresServer
from .provisioning import dsn, provision
from .topics import create_topics

log = logging.getLogger(__name__)


def read_or_create_secret(path: Path, nbytes: int = 24) -> str:
    """The secret stored in `path`, generating it (URL-safe, file mode 0600) the first time.

    Kept on disk so that a second `up` on the same data directory reuses the same passwords.
    """
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: if a concurrent caller won the race, use its value rather than overwrite it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


class LocalInfra:
    """Kafka and PostgreSQL for one environment, data under `root` (`kafka/`, `postgres/`)."""

    def __init__(
        self,
        root: Path,
        *,
        kafka_bootstrap: str | None = None,
        database_admin_dsn: str | None = None,
        topic_prefix: str = "",
        fast_unsafe: bool = False,
        kafka_port: int | None = None,
        pg_port: int | None = None,
        kafka_heap: str = "512m",
        replication_factor: int = 1,
    ) -> None:
        self.root = Path(root).resolve()
        self.topic_prefix = topic_prefix
        self.replication_factor = replication_factor
        self._external_kafka = kafka_bootstrap
        self._external_admin_dsn = database_admin_dsn
        self.kafka: KafkaServer | None = None
        self.postgres: PostgresServer | None = None
        self.created_topics: list[str] = []
        if kafka_bootstrap is None:
            self.kafka = KafkaServer(self.root / "kafka", port=kafka_port, heap=kafka_heap)
        if database_admin_dsn is None:
            self.postgres = PostgresServer(
                self.root / "postgres",
                port=pg_port,
                superuser_password=read_or_create_secret(self.root / "postgres-superuser.password"),
                fast_unsafe=fast_unsafe,
            )

    @property
    def kafka_bootstrap_servers(self) -> str:
        """Bootstrap address of the broker in use (started here or given)."""
        if self._external_kafka is not None:
            return self._external_kafka
        assert self.kafka is not None
        return self.kafka.bootstrap_servers

    @property
    def admin_dsn(self) -> str:
        """Superuser DSN of the PostgreSQL server in use (started here or given)."""
        if self._external_admin_dsn is not None:
            return self._external_admin_dsn
        assert self.postgres is not None
        return self.postgres.superuser_dsn()

    def start(self, timeout: float = 120) -> LocalInfra:
        """Start what is not external, then create every registry topic (with the prefix)."""
        try:
            if self.kafka is not None:
                self.kafka.start(timeout=timeout)
            if self.postgres is not None:
                self.postgres.start(timeout=timeout)
            self.created_topics = _process.run_sync(
                lambda: create_topics(
                    self.kafka_bootstrap_servers,
                    all_topic_specs(),
                    prefix=self.topic_prefix,
                    replication_factor=self.replication_factor,
                    timeout=min(timeout, 60),
                )
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _dsn_for(self, database: str, user: str, password: str) -> str:
        # Same host/port (and query options, e.g. sslmode) as the admin DSN.
        url = urlparse(self.admin_dsn)
        built = dsn(user, password, url.hostname or "127.0.0.1", url.port or 5432, database)
        return f"{built}?{url.query}" if url.query else built

    async def aprovision_database(
        self, name: str, owner: tuple[str, str], app: tuple[str, str]
    ) -> tuple[str, str]:
        """Provision `name` with its owner and app roles; return (owner_dsn, app_dsn)."""
        await provision(self.admin_dsn, name, owner[0], owner[1], app[0], app[1])
        return self._dsn_for(name, *owner), self._dsn_for(name, *app)

    def provision_database(
        self, name: str, owner: tuple[str, str], app: tuple[str, str]
    ) -> tuple[str, str]:
        """Synchronous `aprovision_database` (usable from sync code and from a running loop)."""
        return _process.run_sync(lambda: self.aprovision_database(name, owner, app), 60)

    def stop(self) -> None:
        """Stop what this object started (PostgreSQL first: clients may still be writing)."""
        if self.postgres is not None:
            self.postgres.stop()
        if self.kafka is not None:
            self.kafka.stop()

    def __enter__(self) -> LocalInfra:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

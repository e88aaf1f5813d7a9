"""The platform the benchmark drives: Kafka, PostgreSQL, the operator simulator and the four
services as real processes (as `python -m localinfra run` starts them), or the same processes on
servers that already run (the smoke test's session infrastructure)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from localinfra.services import (
    SERVICES,
    ManagedProcess,
    base_url,
    service_process,
    simulator_process,
)
from localinfra.stack import LocalInfra, read_or_create_secret

DATABASE = "sms_bench"
SCHEMAS = {
    "events": "events",
    "dispatcher": "dispatcher",
    "status-poller": "status_poller",
    "reporting": "reporting",
}


@dataclass
class Target:
    """Where the benchmark's stack answers, and the processes it measures."""

    admin_dsn: str  # a superuser of the database the services use (reads every schema)
    database: str
    kafka_bootstrap: str
    topic_prefix: str
    schemas: dict[str, str]
    processes: dict[str, ManagedProcess]
    infra_pids: dict[str, int] = field(default_factory=dict)  # "kafka", "postgresql"

    def url(self, name: str) -> str:
        return base_url(self.processes[name])

    def pids(self) -> dict[str, int]:
        """Every measured process now (a restarted service has a new pid)."""
        found = {name: p.pid for name, p in self.processes.items() if p.running()}
        return {**found, **self.infra_pids}

    def database_dsn(self) -> str:
        """The admin DSN pointed at the services' database."""
        base, _, query = self.admin_dsn.partition("?")
        root = base.rsplit("/", 1)[0]
        return f"{root}/{self.database}" + (f"?{query}" if query else "")

    async def restart_service(self, name: str, **settings: str) -> None:
        """Restart one service with these settings changed (e.g. a longer poll interval)."""
        process = self.processes[name]
        prefix = SERVICES[name][1]
        for key, value in settings.items():
            process.env[f"{prefix}{key.upper()}"] = value
        await process.restart(120)


@dataclass(frozen=True)
class StackOptions:
    poll_interval_s: float = 1.0
    poll_tick_s: float = 0.2
    kafka_heap: str = "512m"
    fast_unsafe: bool = False
    extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def start_processes(
    *,
    logs: Path,
    common: Mapping[str, str],
    options: StackOptions,
    schemas: Mapping[str, str],
) -> dict[str, ManagedProcess]:
    """Start the simulator and the four services; they log to `<logs>/<name>.log`."""
    simulator = simulator_process(log_path=logs / "simulator.log")
    simulator.start()
    processes = {"simulator": simulator}
    extra: dict[str, dict[str, str]] = {
        "events": {"simulator_base_url": base_url(simulator)},
        "status-poller": {
            "poll_interval_s": str(options.poll_interval_s),
            "poll_tick_s": str(options.poll_tick_s),
        },
    }
    for name in SERVICES:
        settings = {
            **common,
            "db_schema": schemas[name],
            **extra.get(name, {}),
            **options.extra.get(name, {}),
        }
        process = service_process(name, settings, log_path=logs / f"{name}.log")
        process.start()
        processes[name] = process
    return processes


async def wait_ready(processes: Mapping[str, ManagedProcess], timeout: float = 180) -> None:
    await asyncio.gather(*(p.wait_ready(timeout) for p in processes.values()))


def stop_processes(processes: Mapping[str, ManagedProcess]) -> None:
    for process in reversed(list(processes.values())):
        if process.process is not None:
            process.terminate(20)


@contextlib.contextmanager
def local_stack(root: Path, options: StackOptions) -> Iterator[Target]:
    """Kafka and PostgreSQL of its own under `root`, then the services; everything stops at the
    end (the data stays under `root`)."""
    infra = LocalInfra(
        root / "infra", fast_unsafe=options.fast_unsafe, kafka_heap=options.kafka_heap
    )
    infra.start()
    processes: dict[str, ManagedProcess] = {}
    try:
        owner = ("sms_owner", read_or_create_secret(root / "sms_owner.password"))
        app = ("sms_app", read_or_create_secret(root / "sms_app.password"))
        owner_dsn, app_dsn = infra.provision_database(DATABASE, owner, app)
        common = {
            "profile": "local",
            "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
            "database_dsn": app_dsn,
            "database_owner_dsn": owner_dsn,
            "db_app_role": "sms_app",
        }
        processes = start_processes(
            logs=root / "logs", common=common, options=options, schemas=SCHEMAS
        )
        asyncio.run(wait_ready(processes))
        pids = {}
        if infra.kafka is not None and infra.kafka.pid is not None:
            pids["kafka"] = infra.kafka.pid
        if infra.postgres is not None and infra.postgres.pid is not None:
            pids["postgresql"] = infra.postgres.pid
        yield Target(
            admin_dsn=infra.admin_dsn,
            database=DATABASE,
            kafka_bootstrap=infra.kafka_bootstrap_servers,
            topic_prefix="",
            schemas=dict(SCHEMAS),
            processes=processes,
            infra_pids=pids,
        )
    finally:
        stop_processes(processes)
        infra.stop()

"""`python -m localinfra run`: the whole platform on this machine, with a demo school.

Starts Kafka and PostgreSQL (or adopts existing ones), the operator simulator and the four
services as processes, seeds a demo school (provider = simulator, an SMS action, pupils with their
guardians), prints the URLs and a staff token, shows every process's log lines readably, and stops
everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from shared.auth import Role, TokenService
from shared.settings import LOCAL_TOKEN_SIGNING_KEY

from ._process import free_port, port_is_free
from .demo import DEMO_UAI, seed_accounts, seed_demo
from .services import (
    SERVICES,
    SIMULATOR_PORT,
    ManagedProcess,
    base_url,
    service_process,
    simulator_process,
)
from .stack import LocalInfra, read_or_create_secret

_PRINT_LOCK = threading.Lock()
_LEVEL_WIDTH = 7


def print_line(name: str, line: str) -> None:
    """One log line of a child, readable: time, process, level, message, extras."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, dict) and "msg" in record:
        extras = {
            k: v for k, v in record.items() if k not in {"ts", "level", "logger", "service", "msg"}
        }
        when = str(record.get("ts", ""))[11:19]
        tail = f"  {json.dumps(extras, ensure_ascii=False)}" if extras else ""
        text = f"{when} {record.get('level', '')!s:<{_LEVEL_WIDTH}} {record['msg']}{tail}"
    else:
        text = line
    with _PRINT_LOCK:
        sys.stdout.write(f"{name:>13} | {text}\n")
        sys.stdout.flush()


def _port(preferred: int) -> int:
    return preferred if port_is_free(preferred) else free_port()


def cmd_run(args: argparse.Namespace) -> int:
    """Run everything until SIGINT/SIGTERM."""
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    kafka = os.environ.get("SMS_KAFKA_BOOTSTRAP_SERVERS") or None
    admin = os.environ.get("SMS_DATABASE_ADMIN_DSN") or None
    infra = LocalInfra(
        data_dir / "infra",
        kafka_bootstrap=kafka,
        database_admin_dsn=admin,
        kafka_port=None if kafka else _port(9092),
        pg_port=None if admin else _port(5432),
    )
    processes: list[ManagedProcess] = []
    started = time.monotonic()
    infra.start()
    try:
        owner = ("sms_owner", read_or_create_secret(data_dir / "sms_owner.password"))
        app = ("sms_app", read_or_create_secret(data_dir / "sms_app.password"))
        owner_dsn, app_dsn = infra.provision_database("sms", owner, app)
        simulator = simulator_process(port=_port(SIMULATOR_PORT), on_line=print_line)
        processes.append(simulator)
        common = {
            "profile": "local",
            "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
            "database_dsn": app_dsn,
            "database_owner_dsn": owner_dsn,
            "db_app_role": "sms_app",
        }
        extra = {
            "events": {"simulator_base_url": base_url(simulator)},
            # The seed polls every 5 minutes; the demo every few seconds.
            "status-poller": {"poll_interval_s": str(args.poll_interval)},
        }
        for name, (_, _, port) in SERVICES.items():
            settings = {**common, **extra.get(name, {})}
            processes.append(service_process(name, settings, port=_port(port), on_line=print_line))
        by_name = {p.name: p for p in processes}
        # The web interface reads "Suivi des SMS" from reporting, wherever its port landed.
        by_name["events"].env["EVENTS_REPORTING_BASE_URL"] = base_url(by_name["reporting"])
        for process in processes:
            process.start()
        asyncio.run(_ready_and_seed(processes, simulator, args.delivery_delay, args.provider))
        accounts = asyncio.run(seed_accounts(by_name["events"].env))
        _banner(processes, infra, time.monotonic() - started, accounts)
        while not stopping.wait(1.0):
            dead = [p.name for p in processes if not p.running()]
            if dead:
                print_line("run", f"stopped because {', '.join(dead)} exited")
                return 1
        return 0
    finally:
        for process in reversed(processes):
            if process.process is not None:
                process.terminate(20)
        infra.stop()
        print_line("run", "everything stopped")


async def _ready_and_seed(
    processes: list[ManagedProcess],
    simulator: ManagedProcess,
    delivery_delay: float,
    provider: str,
) -> None:
    await asyncio.gather(*(p.wait_ready(120) for p in processes))
    events = next(p for p in processes if p.name == "events")
    await seed_demo(
        base_url(events), base_url(simulator), delivery_delay_s=delivery_delay, provider=provider
    )


def _banner(
    processes: list[ManagedProcess], infra: LocalInfra, seconds: float, accounts: dict[str, str]
) -> None:
    token = TokenService(LOCAL_TOKEN_SIGNING_KEY).mint("demo-cpe", Role.STAFF, [DEMO_UAI])
    lines = [f"Everything is up in {seconds:.0f} s. Demo school: {DEMO_UAI}."]
    lines += [f"  {p.name:<13} {base_url(p)}" for p in processes]
    lines += [
        f"  {'kafka':<13} {infra.kafka_bootstrap_servers}",
        "A staff token for the demo school (8 hours):",
        f"  export TOKEN={token}",
        "Then follow the README's walkthrough. Ctrl-C stops everything.",
        f"Web interface: {base_url(next(p for p in processes if p.name == 'events'))}/connexion",
    ]
    lines += [f"  {login:<13} mot de passe : {password}" for login, password in accounts.items()]
    with _PRINT_LOCK:
        sys.stdout.write("\n" + "\n".join(lines) + "\n\n")
        sys.stdout.flush()

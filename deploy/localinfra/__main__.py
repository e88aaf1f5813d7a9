"""`python -m localinfra {fetch,up,run,topics,provision}`: fetch the broker's jars, run the
infrastructure, run the whole platform with a demo school (`run`), or, for deployments whose Kafka
and PostgreSQL already run, create the topics and provision the database.

`up` starts a real Kafka broker and a real PostgreSQL server (unless SMS_KAFKA_BOOTSTRAP_SERVERS /
SMS_DATABASE_ADMIN_DSN point at existing ones), creates the topics, provisions the `sms` database,
writes `<data-dir>/infra.env` for the services and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from .demo import PROVIDERS
from .jobs import add_job_commands
from .kafka import ensure_kafka_jars
from .run import cmd_run
from .stack import LocalInfra, read_or_create_secret

log = logging.getLogger("localinfra")

DATABASE = "sms"
OWNER_ROLE = "sms_owner"
APP_ROLE = "sms_app"


def _write_env(path: Path, values: dict[str, str]) -> None:
    # Holds passwords: owner-only from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.writelines(f"{key}={value}\n" for key, value in values.items())
    os.chmod(path, 0o600)


def cmd_fetch(_: argparse.Namespace) -> int:
    """Fetch the Kafka broker jars with Maven and print where they are."""
    lib = ensure_kafka_jars()
    print(f"Kafka broker jars: {lib}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start (or adopt) Kafka and PostgreSQL, provision, write infra.env, wait for a signal."""
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    kafka_bootstrap = os.environ.get("SMS_KAFKA_BOOTSTRAP_SERVERS") or None
    admin_dsn = os.environ.get("SMS_DATABASE_ADMIN_DSN") or None

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stopping.set()

    # Installed before starting anything, so a Ctrl-C during startup still stops cleanly.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    infra = LocalInfra(
        data_dir,
        kafka_bootstrap=kafka_bootstrap,
        database_admin_dsn=admin_dsn,
        topic_prefix=args.prefix,
        fast_unsafe=args.fast_unsafe,
        kafka_port=None if kafka_bootstrap else args.kafka_port,
        pg_port=None if admin_dsn else args.pg_port,
    )
    started = time.monotonic()
    infra.start()
    try:
        owner = (OWNER_ROLE, read_or_create_secret(data_dir / f"{OWNER_ROLE}.password"))
        app = (APP_ROLE, read_or_create_secret(data_dir / f"{APP_ROLE}.password"))
        owner_dsn, app_dsn = infra.provision_database(DATABASE, owner, app)
        env_file = data_dir / "infra.env"
        _write_env(
            env_file,
            {
                "SMS_KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
                "SMS_DATABASE_OWNER_DSN": owner_dsn,
                "SMS_DATABASE_DSN": app_dsn,
                "SMS_TOPIC_PREFIX": args.prefix,
            },
        )
        kafka_note = "started here" if infra.kafka else "existing"
        pg_note = "started here" if infra.postgres else "existing"
        pg_where = f"127.0.0.1:{infra.postgres.port}" if infra.postgres else "(admin DSN)"
        print(
            f"Kafka      {infra.kafka_bootstrap_servers} ({kafka_note}); "
            f"{len(infra.created_topics)} topic(s) created, prefix {args.prefix!r}\n"
            f"PostgreSQL {pg_where} ({pg_note}); database {DATABASE!r}, "
            f"roles {OWNER_ROLE}/{APP_ROLE}\n"
            f"Settings   {env_file} (DSNs with passwords; source it or pass it as an env file)\n"
            f"Ready in {time.monotonic() - started:.1f}s; Ctrl-C or SIGTERM to stop.",
            flush=True,
        )
        while not stopping.wait(1.0):
            # A service that dies under us makes the environment useless: say so and exit.
            for name, server in (("Kafka", infra.kafka), ("PostgreSQL", infra.postgres)):
                if server is not None and not server.is_running():
                    log.error("%s exited unexpectedly; see its log under %s", name, data_dir)
                    return 1
        return 0
    finally:
        infra.stop()
        log.info("stopped")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="python -m localinfra", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="download the Kafka broker jars with Maven")
    fetch.set_defaults(func=cmd_fetch)
    up = sub.add_parser("up", help="run Kafka + PostgreSQL until interrupted")
    up.add_argument("--data-dir", type=Path, default=Path(".local/infra"))
    up.add_argument("--kafka-port", type=int, default=9092)
    up.add_argument("--pg-port", type=int, default=5432)
    up.add_argument("--prefix", default="", help="topic and consumer-group name prefix")
    up.add_argument(
        "--fast-unsafe",
        action="store_true",
        help="PostgreSQL with fsync=off (throwaway data only)",
    )
    up.set_defaults(func=cmd_up)
    run = sub.add_parser("run", help="run the whole platform with a demo school until Ctrl-C")
    run.add_argument("--data-dir", type=Path, default=Path(".local/run"))
    run.add_argument("--poll-interval", type=float, default=5.0, help="status polling, seconds")
    run.add_argument("--delivery-delay", type=float, default=3.0, help="simulated delivery, s")
    run.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="simulator",
        help="the demo school's operator: the simulator's own API, or a certified operator's "
        "dialect spoken by the simulator",
    )
    run.set_defaults(func=cmd_run)
    add_job_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

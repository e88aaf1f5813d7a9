"""One-shot jobs for deployments whose Kafka and PostgreSQL already run (Compose, Kubernetes):
create the platform's topics, and provision the database with its owner and working roles.

Secrets come from the environment, never from the command line (which `ps` shows to everyone).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from shared.contracts.topics import all_topic_specs

from .provisioning import provision
from .topics import create_topics


class MissingSetting(SystemExit):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} must be set in the environment")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(name)
    return value


def cmd_topics(args: argparse.Namespace) -> int:
    """Create every topic of the registry (and the dead-letter topics), idempotently."""
    bootstrap = args.bootstrap or _env("SMS_KAFKA_BOOTSTRAP_SERVERS")
    created = asyncio.run(
        create_topics(
            bootstrap,
            all_topic_specs(),
            args.prefix,
            replication_factor=args.replication_factor,
            timeout=args.timeout,
        )
    )
    print(f"{len(created)} topic(s) created; the others existed already")
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    """Create (or align) the owner role, the working role and the database."""
    asyncio.run(
        provision(
            _env("SMS_DATABASE_ADMIN_DSN"),
            args.database,
            args.owner_role,
            _env("SMS_DATABASE_OWNER_PASSWORD"),
            args.app_role,
            _env("SMS_DATABASE_APP_PASSWORD"),
        )
    )
    print(
        f"database {args.database!r} owned by {args.owner_role!r}; working role {args.app_role!r}"
    )
    return 0


def add_job_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    topics = sub.add_parser(
        "topics", help="create the platform's topics on an existing Kafka cluster"
    )
    topics.add_argument("--bootstrap", help="default: $SMS_KAFKA_BOOTSTRAP_SERVERS")
    topics.add_argument("--prefix", default=os.environ.get("SMS_TOPIC_PREFIX", ""))
    topics.add_argument("--replication-factor", type=int, default=1)
    topics.add_argument("--timeout", type=float, default=60.0)
    topics.set_defaults(func=cmd_topics)
    prov = sub.add_parser(
        "provision",
        help="create the database and its roles on an existing PostgreSQL server "
        "(SMS_DATABASE_ADMIN_DSN, SMS_DATABASE_OWNER_PASSWORD, SMS_DATABASE_APP_PASSWORD)",
    )
    prov.add_argument("--database", default="sms")
    prov.add_argument("--owner-role", default="sms_owner")
    prov.add_argument("--app-role", default="sms_app")
    prov.set_defaults(func=cmd_provision)

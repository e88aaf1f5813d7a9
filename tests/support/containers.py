"""Kafka and PostgreSQL from testcontainers, for machines where a Docker engine answers.

Nothing else in the tests depends on which backend runs: both end as a bootstrap address and a
superuser DSN handed to `LocalInfra`, which then starts nothing itself.
"""

from __future__ import annotations

import atexit

from testcontainers.kafka import KafkaContainer
from testcontainers.postgres import PostgresContainer


def start_containers() -> tuple[str, str]:
    """Start both containers (stopped at interpreter exit); returns (bootstrap, admin DSN)."""
    kafka = KafkaContainer("apache/kafka:4.1.2").with_kraft()
    postgres = PostgresContainer("postgres:15", driver=None)
    kafka.start()
    atexit.register(kafka.stop)
    postgres.start()
    atexit.register(postgres.stop)
    return kafka.get_bootstrap_server(), postgres.get_connection_url()

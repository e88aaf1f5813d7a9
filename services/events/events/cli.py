"""`python -m events.cli …`: administration commands of the events service.

python -m events.cli rotate-keys     re-encrypt operator secrets with the first key of
                                     EVENTS_DATA_ENCRYPTION_KEYS and republish settings
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from events.app.keys import rotate_secrets
from events.app.operators import load_catalog
from events.main import MIGRATIONS, catalog_options
from events.settings import EventsSettings
from shared.crypto import SecretBox
from shared.db.migrations import SHARED_MIGRATIONS, migrate
from shared.db.pool import create_pool
from shared.logging import configure_logging


async def _rotate(settings: EventsSettings) -> int:
    await migrate(
        settings.database_owner_dsn.get_secret_value(),
        settings.db_schema,
        [("shared", SHARED_MIGRATIONS), ("events", MIGRATIONS)],
        app_role=settings.db_app_role,
    )
    pool = await create_pool(settings.database_dsn.get_secret_value(), settings.db_schema)
    try:
        async with pool.acquire() as conn:
            entries = await load_catalog(conn, catalog_options(settings))
        report = await rotate_secrets(
            pool, SecretBox(settings.data_encryption_keys.get_secret_value()), entries
        )
    finally:
        await pool.close()
    sys.stdout.write(
        f"re-encrypted {report.secrets} secret(s) of {report.schools} school(s); "
        "their settings are republished through the outbox\n"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m events.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rotate-keys", help="re-encrypt operator secrets with the newest key")
    args = parser.parse_args(argv)
    settings = EventsSettings()
    configure_logging("events-cli", settings.log_level)
    if args.command == "rotate-keys":
        return asyncio.run(_rotate(settings))
    return 2


if __name__ == "__main__":
    sys.exit(main())

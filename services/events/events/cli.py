"""`python -m events.cli …`: administration commands of the events service.

python -m events.cli rotate-keys     re-encrypt operator secrets with the first key of
                                     EVENTS_DATA_ENCRYPTION_KEYS and republish settings
python -m events.cli users add --login LOGIN --role staff --uai UAI [--password-stdin]
                                     create a web interface account (or reset its password);
                                     without --password-stdin a password is generated and printed
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


async def _add_user(settings: EventsSettings, args: argparse.Namespace) -> int:
    import secrets

    from events.ui.staff_accounts import AccountError, save_account
    from shared.auth import Role

    await migrate(
        settings.database_owner_dsn.get_secret_value(),
        settings.db_schema,
        [("shared", SHARED_MIGRATIONS), ("events", MIGRATIONS)],
        app_role=settings.db_app_role,
    )
    generated = not args.password_stdin
    password = secrets.token_urlsafe(15) if generated else sys.stdin.readline().rstrip("\n")
    pool = await create_pool(settings.database_dsn.get_secret_value(), settings.db_schema)
    try:
        created = await save_account(
            pool, args.login, Role(args.role), args.uai, password, args.name
        )
    except AccountError as exc:
        sys.stderr.write(f"erreur : {exc}\n")
        return 2
    finally:
        await pool.close()
    sys.stdout.write(f"compte {'créé' if created else 'mis à jour'} : {args.login.lower()}\n")
    if generated:
        sys.stdout.write(f"mot de passe : {password}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m events.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rotate-keys", help="re-encrypt operator secrets with the newest key")
    users = commands.add_parser("users", help="web interface accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser("add", help="create an account or reset its password")
    add.add_argument("--login", required=True)
    add.add_argument("--role", choices=["staff", "academie_admin"], default="staff")
    add.add_argument("--uai", help="the school of a staff account")
    add.add_argument("--name", help="the person's name, shown in the interface")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    args = parser.parse_args(argv)
    settings = EventsSettings()
    configure_logging("events-cli", settings.log_level)
    if args.command == "rotate-keys":
        return asyncio.run(_rotate(settings))
    if args.command == "users":
        return asyncio.run(_add_user(settings, args))
    return 2


if __name__ == "__main__":
    sys.exit(main())

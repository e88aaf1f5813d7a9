"""Forward-only SQL migrations, applied under an advisory lock by the schema owner's connection.

A service's schema receives two sets of migrations: the shared plumbing (`shared/db/migrations`) and
the service's own (`services/<name>/migrations`). Each set is a folder of `NNNN_what.sql` files;
applied files are recorded with a checksum, and an applied file that changed is an error (write a
new migration instead). Afterwards the service's working role gets DML rights on the schema, but
never ownership, so that row-level security applies to it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationError(RuntimeError):
    """The migrations on disk and the ones recorded in the database disagree."""


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(component: str, folder: Path) -> list[Migration]:
    """The migrations of one component, in version order; misnamed or duplicate files are errors."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_what.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} of {component} appears twice")
        found[version] = Migration(component, version, match.group(2), path.read_text())
    return [found[v] for v in sorted(found)]


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise MigrationError(f"unsafe SQL identifier: {name!r}")
    return name


async def migrate(
    owner_dsn: str,
    schema: str,
    sources: list[tuple[str, Path]],
    *,
    app_role: str | None = None,
) -> list[Migration]:
    """Apply pending migrations of every source to `schema`; returns those applied now.

    Several replicas may start at once: an advisory lock keyed on the schema makes them queue, and
    each one finds the work already done when its turn comes.
    """
    schema = _identifier(schema)
    migrations = [m for component, folder in sources for m in load_migrations(component, folder)]
    conn: asyncpg.Connection[Any] = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrations:{schema}")
        try:
            applied = await _apply(conn, schema, migrations)
            if app_role:
                await grant_app_role(conn, schema, _identifier(app_role))
            return applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"migrations:{schema}")
    finally:
        await conn.close()


async def _apply(
    conn: asyncpg.Connection[Any], schema: str, migrations: list[Migration]
) -> list[Migration]:
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    await conn.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
            component  text        NOT NULL,
            version    integer     NOT NULL,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (component, version)
        )
        """
    )
    rows = await conn.fetch(f"SELECT component, version, checksum FROM {schema}.schema_migrations")
    recorded = {(r["component"], r["version"]): r["checksum"] for r in rows}
    applied: list[Migration] = []
    for migration in migrations:
        checksum = recorded.get((migration.component, migration.version))
        if checksum is not None:
            if checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.component}/{migration.version:04d}_{migration.name} "
                    "changed after it was applied: write a new migration instead"
                )
            continue
        async with conn.transaction():
            await conn.execute(f"SET LOCAL search_path TO {schema}")
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {schema}.schema_migrations (component, version, name, checksum)"
                " VALUES ($1, $2, $3, $4)",
                migration.component,
                migration.version,
                migration.name,
                migration.checksum,
            )
        applied.append(migration)
    return applied


async def grant_app_role(conn: asyncpg.Connection[Any], schema: str, role: str) -> None:
    """Give the service's working role data rights (not DDL, not ownership) on the schema."""
    await conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    await conn.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
    )
    await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    await conn.execute(f"REVOKE ALL ON {schema}.schema_migrations FROM {role}")

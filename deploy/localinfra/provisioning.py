"""Roles and databases on a PostgreSQL server: the owner role that runs migrations and the
working role the services connect as, idempotent and safe to run concurrently."""

from __future__ import annotations

from urllib.parse import quote

import asyncpg


def dsn(user: str, password: str, host: str, port: int, database: str) -> str:
    """A `postgresql://` URL; user, password and database are URL-quoted."""
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@{host}:{port}/{quote(database, safe='')}"
    )


def _is_duplicate(exc: BaseException) -> bool:
    # Concurrent CREATE ROLE/DATABASE may lose the race either in the catalog check
    # (duplicate_object / duplicate_database) or on the catalog's unique index (unique_violation).
    return isinstance(
        exc,
        asyncpg.exceptions.DuplicateObjectError
        | asyncpg.exceptions.DuplicateDatabaseError
        | asyncpg.exceptions.UniqueViolationError,
    )


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str, attrs: str) -> None:
    # Utility statements take no bind parameters: let the server quote the name and password.
    create = await conn.fetchval(
        f"SELECT format('CREATE ROLE %I WITH {attrs} PASSWORD %L', $1::text, $2::text)",
        role,
        password,
    )
    # Checked first only to keep the server log free of "already exists" errors on re-runs.
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        try:
            await conn.execute(create)
            return
        except asyncpg.PostgresError as exc:
            if not _is_duplicate(exc):
                raise
    # Already there: make it match (the password may have been regenerated).
    alter = await conn.fetchval(
        f"SELECT format('ALTER ROLE %I WITH {attrs} PASSWORD %L', $1::text, $2::text)",
        role,
        password,
    )
    await conn.execute(alter)


async def provision(
    admin_dsn: str,
    database: str,
    owner_role: str,
    owner_password: str,
    app_role: str,
    app_password: str,
) -> None:
    """Create (or align) the owner role, the app role and `database` owned by the owner; idempotent.

    The app role gets no CREATE on schema public (revoked from PUBLIC): migrations run as the
    owner, the services as the app role. Safe to call concurrently.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        # Roles are cluster-wide, and concurrent ALTER ROLE / GRANT on one object can fail with
        # "tuple concurrently updated": callers sharing the admin database take turns.
        await conn.execute("SELECT pg_advisory_lock(hashtext('localinfra.provision'))")
        await _ensure_role(conn, owner_role, owner_password, "LOGIN NOSUPERUSER NOCREATEDB")
        await _ensure_role(
            conn, app_role, app_password, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
        )
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            create = await conn.fetchval(
                "SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text)",
                database,
                owner_role,
            )
            try:
                await conn.execute(create)
            except asyncpg.PostgresError as exc:
                if not _is_duplicate(exc):
                    raise
        alter = await conn.fetchval(
            "SELECT format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text)",
            database,
            owner_role,
        )
        await conn.execute(alter)
        db_conn = await asyncpg.connect(admin_dsn, database=database)
        try:
            # PostgreSQL 15 already does this for new databases; older servers and databases
            # upgraded from them do not.
            await db_conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        finally:
            await db_conn.close()
    finally:
        # Closing the session releases the advisory lock too.
        await conn.close()

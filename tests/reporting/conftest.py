"""A migrated reporting schema on the session's real PostgreSQL, and the app in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from reporting_support import token

from reporting.main import build_app, build_runtime
from reporting.settings import ReportingSettings
from shared.db.pool import create_pool


@pytest.fixture
async def reporting_db(isolation) -> AsyncIterator[tuple[ReportingSettings, asyncpg.Pool[Any]]]:
    """A migrated reporting schema and a pool of the service's (non-owner) role."""
    settings = isolation.settings(ReportingSettings)
    await build_runtime(settings).run_migrations()
    pool = await create_pool(settings.database_dsn.get_secret_value(), isolation.schema)
    try:
        yield settings, pool
    finally:
        await pool.close()


@pytest.fixture
async def api(reporting_db, topics) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Pool[Any]]]:
    settings, pool = reporting_db
    await topics()
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://t",
            headers={"Authorization": f"Bearer {token(settings)}"},
        ) as client,
    ):
        yield client, pool


@pytest.fixture
async def api_settings(
    reporting_db, topics
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Pool[Any], ReportingSettings]]:
    """As `api`, with the settings (to mint other roles' tokens)."""
    settings, pool = reporting_db
    await topics()
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://t",
            headers={"Authorization": f"Bearer {token(settings)}"},
        ) as client,
    ):
        yield client, pool, settings

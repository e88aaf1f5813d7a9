"""Driving the web interface over HTTP in tests: sign in, read a page's anti-forgery token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from support.events_api import Api
from support.kafka_probe import eventually

from events.main import build_app
from events.settings import EventsSettings
from events.ui.staff_accounts import save_account
from shared.auth import Role, TokenService

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


class Browser:
    """A cookie-keeping client of the web interface (no redirects followed unless asked)."""

    def __init__(self, app: Any) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://events"
        )

    async def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/connexion")
        return await self.client.post(
            "/connexion",
            data={"csrf_token": csrf_of(form), "login": login, "password": password, "suite": ""},
        )

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, **kwargs)

    async def submit(self, page_url: str, action: str, data: dict[str, Any]) -> httpx.Response:
        """Open `page_url`, then post `data` to `action` with that page's token."""
        page = await self.client.get(page_url)
        assert page.status_code == 200, page.text[:500]
        return await self.client.post(action, data={"csrf_token": csrf_of(page), **data})

    async def aclose(self) -> None:
        await self.client.aclose()


@contextlib.asynccontextmanager
async def running_ui(isolation: Any, **overrides: Any) -> AsyncIterator[tuple[Api, Any]]:
    settings = isolation.settings(EventsSettings, **overrides)
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://events"
        ) as client,
    ):
        yield Api(client, TokenService(settings.token_signing_key.get_secret_value()), app), app
        # Stopping while the relay still retries its first send to a new topic can hang the
        # producer's shutdown: let it publish what the test wrote first.
        pool = app.state.resources.pool

        async def drained() -> bool:
            left: int = await pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            return left == 0

        await eventually(drained, timeout=60)


async def add_account(app: Any, login: str, role: Role, uai: str | None = None) -> None:
    await save_account(app.state.resources.pool, login, role, uai, PASSWORD)

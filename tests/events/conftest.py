"""The events app in-process on the session's real PostgreSQL (Kafka is not needed to serve)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from support.events_api import Api

from events.main import build_app
from events.settings import EventsSettings
from shared.auth import TokenService


@pytest.fixture
async def api(isolation, topics) -> AsyncIterator[Api]:
    await topics()
    settings = isolation.settings(EventsSettings)
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://events"
        ) as client,
    ):
        yield Api(client, TokenService(settings.token_signing_key.get_secret_value()), app)

"""Helpers of the events tests: the app in-process, what the outbox holds, schools to start from."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from support.events_api import UAI, Api
from support.kafka_probe import eventually

from events.main import build_app
from events.settings import EventsSettings
from shared.auth import TokenService

SCHOOL = {"name": "Collège Victor Hugo", "phone": "01 40 00 00 00", "sender_name": "COLLEGE VH"}
CERTIFIED = {
    "provider_code": "DIGITALEO",
    "key": "client-id",
    "password": "s3cret-pw",
    "ca_approved_on": "2026-09-15",
    "ca_reference": "CA-2026-12",
}


async def outbox(api: Api, topic: str) -> list[dict[str, Any]]:
    pool = api.app.state.resources.pool
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(r["payload"]) for r in rows]


async def settings_of(api: Api, uai: str = UAI) -> list[dict[str, Any]]:
    return [m for m in await outbox(api, "school.settings.v1") if m["uai"] == uai]


async def create_school(api: Api, uai: str = UAI, **fields: Any) -> dict[str, Any]:
    return await api.ok("PUT", f"/api/v1/schools/{uai}", as_="academie", json={**SCHOOL, **fields})


async def enable(api: Api, *uais: str) -> dict[str, Any]:
    return await api.ok(
        "POST", "/api/v1/academie/schools/enable", as_="academie", json={"uais": list(uais)}
    )


def error(response: Any) -> dict[str, Any]:
    assert response.status_code >= 400, response.text
    found: dict[str, Any] = response.json()["error"]
    return found


@contextlib.asynccontextmanager
async def running_api(isolation: Any, **overrides: Any) -> AsyncIterator[Api]:
    settings = isolation.settings(EventsSettings, **overrides)
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://events"
        ) as client,
    ):
        running = Api(client, TokenService(settings.token_signing_key.get_secret_value()), app)
        yield running
        # Stopping while the relay's first send to a just-created topic is being retried can
        # hang the producer's shutdown: let the relay finish first.
        await published(running)


async def published(api: Api) -> None:
    """Wait until the relay has published every message of the outbox."""
    pool = api.app.state.resources.pool

    async def drained() -> bool:
        left: int = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return left == 0

    await eventually(drained, timeout=60)

"""Every route of every service, enumerated from the applications themselves, refuses a caller
without a token, a token of another school and the ops role, and leaks nothing of the school.

A route added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from support.events_api import UAI, Api, seed_school

from dispatcher.main import build_app as build_dispatcher
from dispatcher.settings import DispatcherSettings
from events.main import build_app as build_events
from events.settings import EventsSettings
from reporting.main import build_app as build_reporting
from reporting.settings import ReportingSettings
from shared.auth import Role, TokenService
from shared.auth.http import SESSION_COOKIE
from status_poller.main import build_app as build_status_poller
from status_poller.settings import StatusPollerSettings

OTHER = "0750002B"
# Routes open without a token, each for a stated reason (network policy protects the probes).
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    # Operators push receipts without a token: the school's receipt secret authenticates them
    # (tests/status_poller/test_receipts.py).
    "/api/v1/receipts/{dialect}/{uai}/{secret}",
}
# What of school A must never reach another school's caller.
SECRETS_OF_A = ("Victor Hugo", "MARTIN", "Léa", "acct-0750001A", "+33600000001")


@dataclass
class Service:
    name: str
    app: FastAPI
    client: httpx.AsyncClient


@pytest.fixture
async def services(isolation, topics) -> AsyncIterator[dict[str, Service]]:
    await topics()
    builders = {
        "events": (build_events, EventsSettings),
        "dispatcher": (build_dispatcher, DispatcherSettings),
        "status-poller": (build_status_poller, StatusPollerSettings),
        "reporting": (build_reporting, ReportingSettings),
    }
    async with contextlib.AsyncExitStack() as stack:
        running = {}
        for name, (build, settings_class) in builders.items():
            schema = f"{isolation.schema}_{name.replace('-', '_')}"
            app = build(isolation.settings(settings_class, db_schema=schema))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
            running[name] = Service(name, app, client)
        yield running


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API route, walking included routers (FastAPI keeps them nested)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                path = prefix + route.path
                if path not in PUBLIC:
                    found.extend((method, path) for method in sorted(route.methods))
            elif hasattr(route, "original_router"):  # an included router
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(app.routes, "")
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    """A concrete URL on school A, with A's real ids where the route names one."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return UAI if name == "uai" else ids.get(name, str(uuid.uuid4()))

    return re.sub(r"\{(\w+)\}", value, path)


async def test_every_route_refuses_strangers_and_leaks_nothing(
    services: dict[str, Service],
) -> None:
    events = services["events"]
    tokens = TokenService(events.app.state.runtime.settings.token_signing_key.get_secret_value())
    seeded = await seed_school(Api(events.client, tokens, events.app))
    ids = {
        "absence_id": str(seeded["absence"]["id"]),
        "pupil_id": str(seeded["pupil"]["id"]),
        "action_id": str(seeded["action"]["id"]),
    }
    callers = {
        "other school": {"Authorization": f"Bearer {tokens.mint('cpe-b', Role.STAFF, [OTHER])}"},
        "ops": {"Authorization": f"Bearer {tokens.mint('ops', Role.OPS)}"},
    }
    checked = 0
    for service in services.values():
        routes = api_routes(service.app)
        for method, template in routes:
            url = fill(template, ids)
            anonymous = await service.client.request(method, url, json={})
            assert anonymous.status_code == 401, (service.name, method, template, anonymous.text)
            for who, headers in callers.items():
                answer = await service.client.request(method, url, json={}, headers=headers)
                scoped = "{uai}" in template
                if scoped or who == "ops":
                    assert answer.status_code == 403, (
                        service.name,
                        method,
                        template,
                        who,
                        answer.text,
                    )
                for secret in SECRETS_OF_A:
                    assert secret not in answer.text, (service.name, method, template, who, secret)
            checked += 1
    assert checked >= 20, f"only {checked} routes found: the enumeration is broken"


async def test_malformed_input_on_every_route_is_a_4xx_never_a_500(
    services: dict[str, Service],
) -> None:
    events = services["events"]
    tokens = TokenService(events.app.state.runtime.settings.token_signing_key.get_secret_value())
    own = {"Authorization": f"Bearer {tokens.mint('rectorat', Role.ACADEMIE_ADMIN)}"}
    bodies: list[dict[str, Any]] = [
        {"content": b'{"truncated": ', "headers": {"content-type": "application/json"}},
        {"json": {"unknown_field": 1}},
        {"json": [1, 2, 3]},
        {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}},
    ]
    for service in services.values():
        for method, template in api_routes(service.app):
            url = fill(template, {}).replace("{", "").replace("}", "")
            for body in bodies:
                headers = {**own, **body.get("headers", {})}
                kwargs = {k: v for k, v in body.items() if k != "headers"}
                answer = await service.client.request(method, url, headers=headers, **kwargs)
                assert answer.status_code < 500, (service.name, method, template, body, answer.text)
            bad_path = url.replace(UAI, "not-a-uai") if "{uai}" in template else url + "/x"
            answer = await service.client.request(method, bad_path, headers=own)
            assert answer.status_code < 500, (service.name, method, bad_path, answer.text)


async def test_the_session_cookie_carries_a_token_like_the_bearer_header(
    services: dict[str, Service],
) -> None:
    events = services["events"]
    tokens = TokenService(events.app.state.runtime.settings.token_signing_key.get_secret_value())
    await seed_school(Api(events.client, tokens, events.app))
    own = tokens.mint("cpe", Role.STAFF, [UAI])
    by_cookie = await events.client.get(
        f"/api/v1/schools/{UAI}/sms/pending", cookies={SESSION_COOKIE: own}
    )
    by_header = await events.client.get(
        f"/api/v1/schools/{UAI}/sms/pending", headers={"Authorization": f"Bearer {own}"}
    )
    assert by_cookie.status_code == by_header.status_code == 200
    assert by_cookie.json() == by_header.json()
    forged = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    assert (
        await events.client.get(
            f"/api/v1/schools/{UAI}/sms/pending", cookies={SESSION_COOKIE: forged}
        )
    ).status_code == 401


async def test_an_expired_token_is_refused(services: dict[str, Service]) -> None:
    from datetime import timedelta

    events = services["events"]
    tokens = TokenService(events.app.state.runtime.settings.token_signing_key.get_secret_value())
    expired = tokens.mint("cpe", Role.STAFF, [UAI], ttl=timedelta(seconds=-5))
    answer = await events.client.get(
        f"/api/v1/schools/{UAI}/sms/pending", headers={"Authorization": f"Bearer {expired}"}
    )
    assert answer.status_code == 401

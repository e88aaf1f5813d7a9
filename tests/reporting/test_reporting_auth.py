"""Who may read a school's SMS: no token, another school's token, the wrong role are refused and
learn nothing of the school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from reporting_support import OTHER_UAI, UAI, apply, requested, status, token

from reporting.main import build_app
from reporting.settings import ReportingSettings
from shared.auth import Role

ROUTES = [
    ("GET", f"/api/v1/schools/{UAI}/sms?tab=all"),
    ("GET", f"/api/v1/schools/{UAI}/sms/synthesis?school_year=2011"),
    ("POST", f"/api/v1/schools/{UAI}/sms/refresh"),
]


@pytest.fixture
async def app_client(
    reporting_db, topics
) -> AsyncIterator[tuple[httpx.AsyncClient, ReportingSettings, asyncpg.Pool[Any]]]:
    settings, pool = reporting_db
    await topics()
    sms = requested(pupil_name="CONFIDENTIEL Nom", division="CONF1")
    await apply(pool, [sms, status(sms.sms_id, "in_transit")])
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client, settings, pool


async def call(
    client: httpx.AsyncClient, method: str, path: str, bearer: str | None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return await client.request(method, path, headers=headers)


def assert_nothing_of_the_school(response: httpx.Response) -> None:
    text = response.text
    for secret in (UAI, "CONFIDENTIEL", "CONF1", "719573", "Il y a actuellement"):
        assert secret not in text, f"{secret!r} leaked in {text}"


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_no_token_is_refused_with_401(app_client, method: str, path: str) -> None:
    client, _, _ = app_client
    response = await call(client, method, path, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]["code"] == "unauthenticated"
    assert_nothing_of_the_school(response)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_forged_token_is_refused_with_401(app_client, method: str, path: str) -> None:
    client, settings, _ = app_client
    forged = token(settings)[:-4] + "AAAA"
    response = await call(client, method, path, forged)
    assert response.status_code == 401
    assert_nothing_of_the_school(response)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_another_schools_token_is_refused_with_403_and_learns_nothing(
    app_client, method: str, path: str
) -> None:
    client, settings, pool = app_client
    response = await call(client, method, path, token(settings, uais=[OTHER_UAI]))
    assert response.status_code == 403
    assert response.json() == {
        "detail": {"code": "forbidden", "message": "Accès refusé pour cet établissement."}
    }
    assert_nothing_of_the_school(response)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_the_ops_role_may_not_read_schools(app_client, method: str, path: str) -> None:
    client, settings, _ = app_client
    response = await call(client, method, path, token(settings, role=Role.OPS, uais=()))
    assert response.status_code == 403
    assert_nothing_of_the_school(response)


async def test_a_refusal_looks_the_same_for_a_school_that_does_not_exist(app_client) -> None:
    client, settings, _ = app_client
    bearer = token(settings, uais=[OTHER_UAI])
    known = await call(client, "GET", f"/api/v1/schools/{UAI}/sms", bearer)
    unknown = await call(client, "GET", "/api/v1/schools/0999999Z/sms", bearer)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


async def test_staff_of_the_school_and_the_academie_may_read_it(app_client) -> None:
    client, settings, _ = app_client
    for bearer in (token(settings), token(settings, role=Role.ACADEMIE_ADMIN, uais=())):
        response = await call(client, "GET", f"/api/v1/schools/{UAI.lower()}/sms", bearer)
        assert response.status_code == 200, response.text
        assert response.json()["items"][0]["pupil_name"] == "CONFIDENTIEL Nom"

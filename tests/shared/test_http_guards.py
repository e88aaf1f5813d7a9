"""Body size limits and error answers every service shares."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from shared.http.errors import install_error_handlers
from shared.http.limits import BodySizeLimit


class Guardian(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str
    accepts_sms: bool


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodySizeLimit, max_bytes=2048)
    install_error_handlers(app)

    @app.post("/guardians")
    async def create(guardian: Guardian) -> dict[str, bool]:
        return {"accepts_sms": guardian.accepts_sms}

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    answer = await client.post("/guardians", json={"mobile": "+33600000001", "accepts_sms": True})
    assert answer.status_code == 200


async def test_a_declared_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/guardians", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


async def test_a_streamed_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    answer = await client.post(
        "/guardians", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


async def test_a_validation_error_names_the_field_without_echoing_the_value(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/guardians", json={"mobile": "+33600000042", "accepts_sms": "perhaps", "x": 1}
    )
    assert answer.status_code == 422
    body = answer.json()["error"]
    locations = {f["location"] for f in body["fields"]}
    assert {"body.accepts_sms", "body.x"} <= locations
    assert "+33600000042" not in answer.text
    assert "perhaps" not in answer.text


async def test_malformed_json_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/guardians", content=b'{"mobile": ', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422


async def test_an_unexpected_error_is_a_generic_500(client: httpx.AsyncClient) -> None:
    answer = await client.post("/boom")
    assert answer.status_code == 500
    assert "hunter2" not in answer.text
    assert answer.json()["error"]["code"] == "internal_error"

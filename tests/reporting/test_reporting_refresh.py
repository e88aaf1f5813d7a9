""" "Mettre à jour": an sms.refresh.v1 in the outbox, naming only the school's SMS in progress."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from reporting_support import UAI, seed

BASE = f"/api/v1/schools/{UAI}/sms"


async def refresh_messages(pool: asyncpg.Pool[Any]) -> list[dict[str, Any]]:
    records = await pool.fetch("SELECT topic, payload FROM outbox ORDER BY id")
    assert all(r["topic"] == "sms.refresh.v1" for r in records)
    return [json.loads(r["payload"]) for r in records]


async def test_refresh_names_only_this_schools_sms_in_progress(api) -> None:
    client, pool = api
    s = await seed(pool)
    given = [s.in_transit, s.delivered, s.other_school, uuid4(), s.in_transit]
    response = await client.post(f"{BASE}/refresh", json={"sms_ids": [str(i) for i in given]})
    assert response.status_code == 202
    assert response.json() == {"requested": 1}
    [message] = await refresh_messages(pool)
    assert message["sms_ids"] == [str(s.in_transit)]
    assert (message["producer"], message["uai"], message["schema"]) == (
        "reporting",
        UAI,
        "sms.refresh.v1",
    )
    assert message["requested_by"] == "cpe"


async def test_refresh_without_ids_asks_for_all_the_schools_sms_in_transit(api) -> None:
    client, pool = api
    await seed(pool)
    for kwargs in ({}, {"json": {}}, {"json": {"sms_ids": []}}):
        response = await client.post(f"{BASE}/refresh", **kwargs)
        assert response.status_code == 202, response.text
        assert response.json() == {"requested": 4}
    messages = await refresh_messages(pool)
    assert [m["sms_ids"] for m in messages] == [[], [], []]


async def test_refresh_of_only_foreign_or_finished_sms_publishes_nothing(api) -> None:
    client, pool = api
    s = await seed(pool)
    body = {"sms_ids": [str(s.other_school), str(s.delivered)]}
    response = await client.post(f"{BASE}/refresh", json=body)
    assert (response.status_code, response.json()) == (202, {"requested": 0})
    assert await refresh_messages(pool) == [], "an empty list would mean 'all' to the poller"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"sms_ids": [], "force": True}, "Champ « force » : inconnu"),
        ({"sms_ids": ["719573"]}, "Champ « sms_ids.0 » : doit être un identifiant de SMS"),
        ({"sms_ids": "all"}, "Champ « sms_ids » : doit être une liste"),
    ],
)
async def test_refresh_refuses_a_bad_body(api, body: dict[str, Any], fragment: str) -> None:
    client, pool = api
    response = await client.post(f"{BASE}/refresh", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "invalid_request"
    assert fragment in detail["message"], detail["message"]
    assert await refresh_messages(pool) == []


async def test_refresh_refuses_too_many_ids(api) -> None:
    client, _ = api
    response = await client.post(
        f"{BASE}/refresh", json={"sms_ids": [str(uuid4()) for _ in range(1001)]}
    )
    assert response.status_code == 422
    assert "au plus 1000 éléments" in response.json()["detail"]["message"]

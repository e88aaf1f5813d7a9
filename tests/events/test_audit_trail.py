"""The audit trail: who changed which setting of a school, when, and what — never the secret."""

from __future__ import annotations

import json

from events_support import CERTIFIED, create_school, enable
from support.events_api import OTHER_UAI, UAI, Api


async def audit(api: Api, uai: str = UAI, **params: int) -> dict:
    return await api.ok("GET", f"/api/v1/schools/{uai}/audit", params=params)


async def test_creating_a_school_is_recorded_with_its_author(api: Api) -> None:
    await create_school(api)
    [entry] = (await audit(api))["items"]
    assert entry["actor"] == "rectorat"
    assert entry["action"] == "school.created"
    assert entry["details"]["changes"]["name"]["after"] == "Collège Victor Hugo"


async def test_a_change_records_only_what_changed(api: Api) -> None:
    await create_school(api)
    await create_school(api, sender_name="VICTOR HUGO")
    latest = (await audit(api))["items"][0]
    assert latest["action"] == "school.updated"
    assert latest["details"]["changes"] == {
        "sender_name": {"before": "COLLEGE VH", "after": "VICTOR HUGO"}
    }


async def test_the_provider_change_is_recorded_without_the_password(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    latest = (await audit(api))["items"][0]
    assert latest["actor"] == "cpe" and latest["action"] == "provider.saved"
    assert latest["details"]["password_changed"] is True
    assert latest["details"]["changes"]["ca_reference"]["after"] == "CA-2026-12"
    assert "s3cret-pw" not in json.dumps(latest)
    assert "password_encrypted" not in json.dumps(latest)


async def test_the_green_light_is_recorded(strict_api: Api) -> None:
    await create_school(strict_api)
    await enable(strict_api, UAI)
    latest = (await audit(strict_api))["items"][0]
    assert (latest["action"], latest["details"]) == ("school.enabled", {"sms_enabled": True})


async def test_the_trail_is_paginated_newest_first(api: Api) -> None:
    for name in ("A", "B", "C"):
        await create_school(api, name=name)
    page = await audit(api, page=2, page_size=2)
    assert page["count"] == 3
    [oldest] = page["items"]
    assert oldest["action"] == "school.created"


async def test_another_schools_staff_cannot_read_the_trail(api: Api) -> None:
    await create_school(api)
    await create_school(api, OTHER_UAI)
    response = await api.call("GET", f"/api/v1/schools/{UAI}/audit", as_="other")
    assert response.status_code == 403

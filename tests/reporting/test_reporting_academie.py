"""The académie's synthesis: every school together, each school by volume with its delivery
rate; the calendar-year option; a school's staff may not read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from reporting_support import OTHER_UAI, UAI, apply, requested, status, token

from reporting.domain.synthesis import SchoolVolume, by_volume
from reporting.entrypoints.academie_http import rate_label
from shared.auth import Role
from shared.contracts import Envelope

ACADEMIE = "/api/v1/academie/sms/synthesis"
THIRD_UAI = "9740001C"  # La Réunion: its school year starts in August here


def sms(uai: str, at: datetime, *, delivered: bool, **changes: Any) -> list[Envelope]:
    sms_id = uuid4()
    messages: list[Envelope] = [requested(sms_id, uai=uai, diffused_at=at, **changes)]
    if delivered:
        messages.append(status(sms_id, "delivered", uai=uai, changed_at=at))
    return messages


async def seed_academie(pool) -> None:
    sep = datetime(2011, 9, 13, 13, 44, tzinfo=UTC)
    oct_ = datetime(2011, 10, 3, 8, 0, tzinfo=UTC)
    aug = datetime(2012, 8, 20, 5, 0, tzinfo=UTC)
    reunion = {"time_zone": "Indian/Reunion", "school_year_start_month": 8}
    await apply(pool, sms(UAI, sep, delivered=True) + sms(UAI, oct_, delivered=False))
    await apply(
        pool,
        sms(OTHER_UAI, sep, delivered=True)
        + sms(OTHER_UAI, sep, delivered=True)
        + sms(OTHER_UAI, oct_, delivered=False),
    )
    # La Réunion: August 2012 starts its school year 2012, not 2011.
    await apply(pool, sms(THIRD_UAI, aug, delivered=True, **reunion))


async def academie_get(client, settings, **params: Any):
    headers = {"Authorization": f"Bearer {token(settings, Role.ACADEMIE_ADMIN, ())}"}
    return await client.get(ACADEMIE, params=params, headers=headers)


async def test_academie_sums_every_school_and_sorts_schools_by_volume(api_settings) -> None:
    client, pool, settings = api_settings
    await seed_academie(pool)
    response = await academie_get(client, settings, school_year=2011)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["months"] == [
        {"month": "2011-09", "label": "Total septembre", "delivered": 3, "total": 3},
        {"month": "2011-10", "label": "Total octobre", "delivered": 0, "total": 2},
    ]
    assert body["year"] == {"label": "Total Annuel", "delivered": 3, "total": 5}
    assert body["schools"] == [
        {
            "uai": OTHER_UAI,
            "delivered": 2,
            "total": 3,
            "delivery_rate": 0.6667,
            "delivery_rate_label": "66,7 %",
        },
        {
            "uai": UAI,
            "delivered": 1,
            "total": 2,
            "delivery_rate": 0.5,
            "delivery_rate_label": "50,0 %",
        },
    ]


async def test_academie_takes_each_schools_own_school_year(api_settings) -> None:
    client, pool, settings = api_settings
    await seed_academie(pool)
    body = (await academie_get(client, settings, school_year=2012)).json()
    assert [s["uai"] for s in body["schools"]] == [THIRD_UAI]
    assert body["months"] == [
        {"month": "2012-08", "label": "Total août", "delivered": 1, "total": 1}
    ]


async def test_academie_calendar_year_takes_january_to_december(api_settings) -> None:
    client, pool, settings = api_settings
    await seed_academie(pool)
    body = (await academie_get(client, settings, calendar_year=2012)).json()
    assert (body["period"], body["label"], body["start_month"]) == ("calendar_year", "2012", 1)
    assert body["year"]["total"] == 1
    body = (await academie_get(client, settings, calendar_year=2011)).json()
    assert body["year"] == {"label": "Total Annuel", "delivered": 3, "total": 5}


async def test_school_staff_may_not_read_the_academie_synthesis(api_settings) -> None:
    client, pool, _ = api_settings
    await seed_academie(pool)
    response = await client.get(ACADEMIE, params={"school_year": 2011})
    assert response.status_code == 403
    assert OTHER_UAI not in response.text


async def test_school_synthesis_in_calendar_year(api_settings) -> None:
    client, pool, _ = api_settings
    await seed_academie(pool)
    base = f"/api/v1/schools/{UAI}/sms/synthesis"
    body = (await client.get(base, params={"calendar_year": 2011})).json()
    assert (body["period"], body["label"]) == ("calendar_year", "2011")
    assert [m["month"] for m in body["months"]] == ["2011-09", "2011-10"]
    assert (await client.get(base, params={"calendar_year": 2012})).json()["months"] == []


async def test_school_year_and_calendar_year_together_are_refused(api_settings) -> None:
    client, _, _ = api_settings
    response = await client.get(
        f"/api/v1/schools/{UAI}/sms/synthesis",
        params={"calendar_year": 2011, "school_year": 2011},
    )
    assert response.status_code == 422
    assert "pas les deux" in response.json()["detail"]["message"]


def test_schools_by_volume_break_ties_by_uai_and_leave_out_silent_schools() -> None:
    schools = [SchoolVolume("B", 1, 5), SchoolVolume("A", 5, 5), SchoolVolume("C", 0, 0)]
    assert [s.uai for s in by_volume(schools)] == ["A", "B"]


def test_rate_label_is_french() -> None:
    assert (rate_label(2 / 3), rate_label(1.0), rate_label(None)) == ("66,7 %", "100,0 %", "-")

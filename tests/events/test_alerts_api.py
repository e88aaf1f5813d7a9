"""Délai de réponse avant alerte: an absence still not justified once its action's delay has
passed since its SMS left is listed, until it is justified or deleted. The clock is the test's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from absences_support import SCHOOL, add_sms, new_absence
from support.events_api import Api, seed_school

DIFFUSED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def set_clock(api: Api, at: datetime) -> None:
    api.app.state.clock = lambda: at


async def alerts(api: Api, at: datetime) -> dict[str, Any]:
    set_clock(api, at)
    found: dict[str, Any] = await api.ok("GET", f"{SCHOOL}/alerts")
    return found


async def diffused_absence(api: Api) -> dict[str, Any]:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    set_clock(api, DIFFUSED)
    await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": created["created"]})
    return seeded


async def test_an_unjustified_absence_appears_once_the_delay_has_passed(api: Api) -> None:
    seeded = await diffused_absence(api)
    assert (await alerts(api, DIFFUSED + timedelta(hours=23, minutes=59)))["count"] == 0
    found = await alerts(api, DIFFUSED + timedelta(days=1))
    assert found["count"] == 1
    assert found["message"] == "1 absence(s) sans justification après le délai de réponse"
    [item] = found["items"]
    assert item["absence_id"] == seeded["absence"]["id"]
    assert item["pupil_name"] == "MARTIN Léa"
    assert item["action_code"] == "SMS" and item["response_delay_days"] == 1
    assert item["line"] == (
        "SMS diffusé le 30/11/2026 à 09:00, sans réponse depuis le 01/12/2026 à 09:00"
    )
    assert item["sms"] == [
        {"recipient": "Légal 1 - Financier", "state": "queued", "state_label": "en attente d'envoi"}
    ]


async def test_justifying_the_absence_takes_it_off_the_list(api: Api) -> None:
    seeded = await diffused_absence(api)
    later = DIFFUSED + timedelta(days=3)
    assert (await alerts(api, later))["count"] == 1
    await api.ok("PATCH", f"{SCHOOL}/absences/{seeded['absence']['id']}", json={"evidence": "Mot"})
    assert (await alerts(api, later))["count"] == 0


async def test_deleting_the_absence_takes_it_off_the_list(api: Api) -> None:
    seeded = await diffused_absence(api)
    await api.ok("DELETE", f"{SCHOOL}/absences/{seeded['absence']['id']}")
    assert (await alerts(api, DIFFUSED + timedelta(days=3)))["count"] == 0


async def test_an_sms_never_diffused_raises_no_alert(api: Api) -> None:
    seeded = await seed_school(api)
    await add_sms(api, seeded)
    assert (await alerts(api, datetime.now(UTC) + timedelta(days=30)))["count"] == 0


async def test_the_delay_is_the_actions_own(api: Api) -> None:
    seeded = await seed_school(api)
    slow = await api.ok(
        "POST",
        f"{SCHOOL}/actions",
        json={"code": "SMS3", "label": "SMS, 3 jours", "response_delay_days": 3},
    )
    absence = await new_absence(api, seeded["pupil"]["id"])
    made = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{absence['id']}/sms",
        json={"action_id": slow["id"], "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]]},
    )
    set_clock(api, DIFFUSED)
    await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": made["created"]})
    assert (await alerts(api, DIFFUSED + timedelta(days=2)))["count"] == 0
    [item] = (await alerts(api, DIFFUSED + timedelta(days=3)))["items"]
    assert item["action_code"] == "SMS3"


async def test_the_longest_overdue_comes_first_and_the_list_pages(api: Api) -> None:
    seeded = await seed_school(api)
    absences = []
    for day in range(3):
        absence = await new_absence(api, seeded["pupil"]["id"])
        made = await api.ok(
            "POST",
            f"{SCHOOL}/absences/{absence['id']}/sms",
            json={
                "action_id": seeded["action"]["id"],
                "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
            },
        )
        set_clock(api, DIFFUSED + timedelta(days=day))
        await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": made["created"]})
        absences.append(absence["id"])
    set_clock(api, DIFFUSED + timedelta(days=10))
    page = await api.ok("GET", f"{SCHOOL}/alerts", params={"page_size": 2})
    assert [i["absence_id"] for i in page["items"]] == absences[:2]
    assert page["pagination"]["label"] == "Enregistrement(s) 1 à 2, sur 3 trouvé(s)"

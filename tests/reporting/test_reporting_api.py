"""The REST API of reporting, in-process, over a read model seeded through its handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from reporting_support import (
    UAI,
    apply,
    day,
    requested,
    seed,
    status,
)

from reporting.domain.school_year import school_year_of

BASE = f"/api/v1/schools/{UAI}/sms"


async def get_ok(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert "+33" not in response.text, "an answer must never carry a phone number"
    assert "SECRET" not in response.text, "another school's data leaked"
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[UUID]:
    return [UUID(item["sms_id"]) for item in body["items"]]


# ---- tabs ------------------------------------------------------------------------------------


async def test_in_progress_tab_lists_queued_in_transit_to_check_and_sent_without_receipt(
    api,
) -> None:
    client, pool = api
    s = await seed(pool)
    body = await get_ok(client, BASE, tab="in_progress")
    assert ids(body) == [s.unconfirmed, s.sent_unconfirmed, s.queued, s.in_transit]
    assert body["count"] == 4 and body["message"] == "Il y a actuellement 4 SMS"
    assert body["pagination"] == {
        "page": 1,
        "page_size": 50,
        "first": 1,
        "last": 4,
        "total": 4,
        "pages": 1,
        "label": "Enregistrement(s) 1 à 4, sur 4 trouvé(s)",
    }
    by_id = {UUID(i["sms_id"]): i for i in body["items"]}
    absence_id = by_id[s.in_transit].pop("absence_id")
    assert absence_id is not None and UUID(absence_id)
    assert by_id[s.in_transit] == {
        "sms_id": str(s.in_transit),
        "action": "SMS",
        "pupil_name": "MARTIN Lucas",
        "division": "4B",
        "event": "Absence Du 13/09/11 Au 13/09/11",
        "recipient": "Légal 1 - Financier",
        "state": "in_transit",
        "state_label": "en transit",
        "reason_code": None,
        "reason_message": None,
        "provider_message_id": "719573",
        "state_changed_at": "2011-09-13T13:44:20Z",
        "status_line": "Msg 719573 - en transit - 13/09/2011 à 15:44",
        "mark": None,
    }
    assert by_id[s.queued]["status_line"] == "en attente d'envoi - 15/09/2011 à 15:44"
    assert by_id[s.unconfirmed]["state_label"] == "à vérifier"
    assert by_id[s.unconfirmed]["mark"] == "à vérifier"
    assert by_id[s.sent_unconfirmed]["mark"] == "envoyé, sans accusé"
    assert by_id[s.queued]["mark"] is None
    assert by_id[s.sent_unconfirmed]["status_line"].startswith("Msg 719573 - envoyé, sans accusé")


async def test_the_default_tab_is_in_progress(api) -> None:
    client, pool = api
    await seed(pool)
    assert (await get_ok(client, BASE))["count"] == 4


async def test_delivered_tab_lists_only_this_schools_delivered_sms(api) -> None:
    client, pool = api
    s = await seed(pool)
    body = await get_ok(client, BASE, tab="delivered")
    assert ids(body) == [s.delivered]
    assert body["items"][0]["status_line"] == "Msg 716578 - délivré - 12/09/2011 à 15:44"


async def test_invalid_or_undelivered_tab_gives_the_reason(api) -> None:
    client, pool = api
    s = await seed(pool)
    body = await get_ok(client, BASE, tab="invalid_or_undelivered")
    assert ids(body) == [s.invalid]
    [item] = body["items"]
    assert item["reason_code"] == "invalid_number"
    assert item["reason_message"].startswith("Le numéro de téléphone du destinataire")
    assert item["status_line"] == "invalidé - 14/09/2011 à 15:44"


async def test_all_tab_lists_every_diffused_sms_but_not_one_whose_request_is_unknown(api) -> None:
    client, pool = api
    s = await seed(pool)
    body = await get_ok(client, BASE, tab="all")
    assert body["count"] == 6
    assert s.status_only not in ids(body) and s.other_school not in ids(body)


async def test_pages_are_stable_and_cover_every_sms_once(api) -> None:
    client, pool = api
    s = await seed(pool)
    # Two SMS diffused at the same instant: the SMS id breaks the tie.
    twin_a, twin_b = sorted([uuid4(), uuid4()])
    later = day(0) + timedelta(hours=1)
    await apply(pool, [requested(twin_b, diffused_at=later), requested(twin_a, diffused_at=later)])
    seen: list[UUID] = []
    labels = []
    for page in (1, 2, 3, 4):
        body = await get_ok(client, BASE, tab="all", page=page, page_size=3)
        seen += ids(body)
        labels.append(body["pagination"]["label"])
    assert labels == [
        "Enregistrement(s) 1 à 3, sur 8 trouvé(s)",
        "Enregistrement(s) 4 à 6, sur 8 trouvé(s)",
        "Enregistrement(s) 7 à 8, sur 8 trouvé(s)",
        "Aucun enregistrement sur la page 4, sur 8 trouvé(s)",
    ]
    assert seen == [
        s.unconfirmed,
        s.sent_unconfirmed,
        s.queued,
        s.invalid,
        twin_a,
        twin_b,
        s.in_transit,
        s.delivered,
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"division": "3A"}, ["delivered"]),
        ({"pupil": "eloise"}, ["delivered"]),
        ({"pupil": "LEFEVRE"}, ["delivered"]),
        ({"pupil": "%"}, []),
        ({"action": "SMS2"}, ["queued"]),
        ({"action": "SMS relance"}, ["queued"]),
        ({"state": "unconfirmed"}, ["unconfirmed"]),
        ({"from": "2011-09-15", "to": "2011-09-16"}, ["sent_unconfirmed", "queued"]),
        ({"to": "2011-09-12"}, ["delivered"]),
        ({"division": ""}, ["unconfirmed", "sent_unconfirmed", "queued", "invalid"]),
    ],
)
async def test_filters(api, params: dict[str, str], expected: list[str]) -> None:
    client, pool = api
    s = await seed(pool)
    body = await get_ok(client, BASE, tab="all", **params)
    names = {getattr(s, name): name for name in vars(s)}
    got = [names[i] for i in ids(body)]
    if params == {"division": ""}:  # an empty filter is no filter
        assert got[:4] == expected and len(got) == 6
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("tab=sent", "Paramètre « tab » : valeur non reconnue"),
        ("colour=red", "Paramètre « colour » : inconnu"),
        ("page_size=201", "Paramètre « page_size » : doit valoir au plus 200"),
        ("page=0", "Paramètre « page » : doit valoir au moins 1"),
        ("page=un", "Paramètre « page » : doit être un nombre entier"),
        ("from=13/09/2011", "Paramètre « from » : doit être une date au format AAAA-MM-JJ"),
        ("from=2011-09-20&to=2011-09-10", "la date « from » est postérieure à la date « to »"),
        ("tab=delivered&state=invalid", "l'état « invalid » n'apparaît pas dans l'onglet"),
        ("state=pending&tab=all", "l'état « pending » n'apparaît pas dans l'onglet « all »"),
        ("tab=all&tab=delivered", "Paramètre « tab » : donné plusieurs fois"),
    ],
)
async def test_bad_list_parameters_are_refused_with_a_clear_message(
    api, query: str, fragment: str
) -> None:
    client, _ = api
    response = await client.get(f"{BASE}?{query}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "invalid_query"
    assert fragment in detail["message"], detail["message"]
    assert (
        "Paramètres acceptés : tab, division, pupil, action, state, from, to, page"
        in (detail["message"])
    )


# ---- synthesis -------------------------------------------------------------------------------


async def test_synthesis_counts_per_action_and_month_with_french_totals(api) -> None:
    client, pool = api
    await seed(pool)
    october = datetime(2011, 10, 3, 8, 0, tzinfo=UTC)
    sms_id = uuid4()
    await apply(pool, [requested(sms_id, diffused_at=october), status(sms_id, "delivered")])
    body = await get_ok(client, f"{BASE}/synthesis", school_year=2011)
    assert body == {
        "school_year": 2011,
        "period": "school_year",
        "label": "2011-2012",
        "start_month": 9,
        "rows": [
            {
                "action": "SMS",
                "action_code": "SMS1",
                "month": "2011-09",
                "month_label": "09/2011",
                "delivered": 1,
                "total": 5,
            },
            {
                "action": "SMS relance",
                "action_code": "SMS2",
                "month": "2011-09",
                "month_label": "09/2011",
                "delivered": 0,
                "total": 1,
            },
            {
                "action": "SMS",
                "action_code": "SMS1",
                "month": "2011-10",
                "month_label": "10/2011",
                "delivered": 1,
                "total": 1,
            },
        ],
        "months": [
            {"month": "2011-09", "label": "Total septembre", "delivered": 1, "total": 6},
            {"month": "2011-10", "label": "Total octobre", "delivered": 1, "total": 1},
        ],
        "year": {"label": "Total Annuel", "delivered": 2, "total": 7},
    }


async def test_synthesis_of_another_year_is_empty(api) -> None:
    client, pool = api
    await seed(pool)
    body = await get_ok(client, f"{BASE}/synthesis", school_year=2010)
    assert (body["label"], body["rows"], body["months"]) == ("2010-2011", [], [])
    assert body["year"] == {"label": "Total Annuel", "delivered": 0, "total": 0}


async def test_synthesis_defaults_to_the_current_school_year(api) -> None:
    client, pool = api
    await seed(pool)
    body = await get_ok(client, f"{BASE}/synthesis")
    assert body["school_year"] == school_year_of(datetime.now(UTC).date(), 9)


async def test_synthesis_follows_the_schools_start_month(api) -> None:
    client, pool = api
    # A school of the southern hemisphere whose year starts in February.
    feb = datetime(2012, 2, 20, 5, 0, tzinfo=UTC)
    await apply(
        pool, [requested(diffused_at=feb, time_zone="Indian/Reunion", school_year_start_month=2)]
    )
    body = await get_ok(client, f"{BASE}/synthesis", school_year=2012)
    assert (body["label"], body["start_month"]) == ("2012-2013", 2)
    assert body["months"] == [
        {"month": "2012-02", "label": "Total février", "delivered": 0, "total": 1}
    ]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("school_year=deux", "Paramètre « school_year » : doit être un nombre entier"),
        ("school_year=1999", "Paramètre « school_year » : doit valoir au moins 2000"),
        ("tab=all", "Paramètre « tab » : inconnu"),
    ],
)
async def test_bad_synthesis_parameters_are_refused(api, query: str, fragment: str) -> None:
    client, _ = api
    response = await client.get(f"{BASE}/synthesis?{query}")
    assert response.status_code == 422
    assert fragment in response.json()["detail"]["message"]

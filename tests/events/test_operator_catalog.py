"""The académie's operator catalog: operators of a known dialect added, changed and retired
without a code change; schools see only what they may choose."""

from __future__ import annotations

import pytest
from events_support import CERTIFIED, create_school, error, settings_of
from support.events_api import OTHER_UAI, UAI, Api

PLURI_BIS = {
    "code": "PLURI_BIS",
    "name": "EPLE SMS (second site)",
    "dialect": "pluriware",
    "base_url": "https://sms.example.org/",
    "email": "support@example.org",
    "phone": "01 02 03 04 05",
    "website": "https://www.example.org",
}


async def operators(api: Api) -> dict[str, dict]:
    listed = await api.ok("GET", "/api/v1/academie/operators", as_="academie")
    return {o["code"]: o for o in listed["items"]}


async def offered(api: Api) -> set[str]:
    return {e["code"] for e in await api.ok("GET", "/api/v1/providers")}


async def test_the_seed_operators_are_in_the_catalog_with_their_contacts(api: Api) -> None:
    found = await operators(api)
    assert found["PLURIWARE"]["email"] == "contact@eplesms.fr"
    assert found["PLURIWARE"]["dialect"] == "pluriware"
    assert found["DIGITALEO"]["phone"] == "02 56 036 700"
    assert found["ENVOYERSMSPRO"]["name"] == "Envoyer SMS Pro"
    assert {"DIGITALEO", "PLURIWARE", "ENVOYERSMSPRO"} <= await offered(api)


async def test_an_operator_of_a_known_dialect_is_added_and_offered_to_schools(api: Api) -> None:
    created = await api.ok("POST", "/api/v1/academie/operators", as_="academie", json=PLURI_BIS)
    assert created["base_url"] == "https://sms.example.org"  # trailing slash dropped
    assert created["fields"]["key"] == "Identifiant (login) du compte EPLE SMS de PLURIWARE"
    assert "PLURI_BIS" in await offered(api)
    await create_school(api)
    body = {**CERTIFIED, "provider_code": "PLURI_BIS"}
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=body)
    published = (await settings_of(api))[-1]["provider"]
    assert published["dialect"] == "pluriware"
    assert published["base_url"] == "https://sms.example.org"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"dialect": "smpp"}, "unknown_dialect", "Dialecte inconnu"),
        ({"base_url": "ftp://x"}, "invalid_base_url", "Adresse de l'API invalide"),
        ({"code": "1AB"}, "invalid_operator_code", "Code opérateur invalide"),
        ({"code": "SIMULATEUR"}, "reserved_operator_code", "Ce code est réservé"),
        ({"name": ""}, "operator_name_required", "Le nom de l'opérateur est obligatoire."),
        ({"email": "nobody"}, "invalid_email", "Adresse électronique invalide."),
    ],
)
async def test_each_invalid_operator_field_is_refused_with_its_message(
    api: Api, change: dict, code: str, message: str
) -> None:
    response = await api.call(
        "POST", "/api/v1/academie/operators", as_="academie", json={**PLURI_BIS, **change}
    )
    found = error(response)
    assert found["code"] == code
    assert found["message"].startswith(message)


async def test_a_duplicate_code_is_a_conflict(api: Api) -> None:
    await api.ok("POST", "/api/v1/academie/operators", as_="academie", json=PLURI_BIS)
    response = await api.call("POST", "/api/v1/academie/operators", as_="academie", json=PLURI_BIS)
    assert response.status_code == 409
    assert error(response)["code"] == "operator_exists"


async def test_schools_may_not_manage_the_catalog(api: Api) -> None:
    response = await api.call("POST", "/api/v1/academie/operators", json=PLURI_BIS)
    assert response.status_code == 403
    response = await api.call("GET", "/api/v1/academie/operators")
    assert response.status_code == 403


async def test_moving_an_operator_republishes_the_settings_of_its_schools(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    before = len(await settings_of(api))
    moved = await api.ok(
        "PUT",
        "/api/v1/academie/operators/DIGITALEO",
        as_="academie",
        json={
            **{k: v for k, v in PLURI_BIS.items() if k != "code"},
            "dialect": "digitaleo",
            "base_url": "https://api2.digitaleo.example",
        },
    )
    assert moved["schools"] == 1
    published = await settings_of(api)
    assert len(published) == before + 1
    assert published[-1]["provider"]["base_url"] == "https://api2.digitaleo.example"
    trail = await api.ok("GET", "/api/v1/academie/audit", as_="academie")
    assert trail["items"][0]["action"] == "operator.updated"
    assert trail["items"][0]["details"]["changes"]["base_url"]["after"] == (
        "https://api2.digitaleo.example"
    )


async def test_a_retired_operator_is_no_longer_offered_but_its_schools_keep_it(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    retired = await api.ok("POST", "/api/v1/academie/operators/DIGITALEO/retire", as_="academie")
    assert retired["retired"] is True and retired["schools"] == 1
    assert "DIGITALEO" not in await offered(api)
    # The school that chose it may still save its settings (a new password, say)…
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json={**CERTIFIED, "password": "n"})
    # …but a school that did not cannot choose it any more.
    await create_school(api, OTHER_UAI)
    response = await api.call(
        "PUT", f"/api/v1/schools/{OTHER_UAI}/provider", as_="other", json=CERTIFIED
    )
    assert error(response)["code"] == "provider_retired"
    await api.ok("POST", "/api/v1/academie/operators/DIGITALEO/restore", as_="academie")
    assert "DIGITALEO" in await offered(api)


async def test_the_simulator_is_not_offered_in_production_profile(isolation, topics) -> None:
    from events_support import running_api

    await topics()
    async with running_api(isolation, allow_simulator=False) as api:
        assert "SIMULATEUR" not in await offered(api)
        listed = await api.ok("GET", "/api/v1/academie/operators", as_="academie")
        assert "simulator" not in listed["dialects"]

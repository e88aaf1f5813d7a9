"""Paramétrages › Actions: the seed's fields, each validated with its own message."""

from __future__ import annotations

import pytest
from events_support import create_school, error
from support.events_api import UAI, Api

from events.domain.texts import DEFAULT_TEMPLATE

ACTIONS = f"/api/v1/schools/{UAI}/actions"
VALID = {"code": "SMS", "label": "ENVOI SMS", "response_delay_days": 1}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": ""}, "code", "Le libellé court est obligatoire."),
        ({"code": "X" * 21}, "code", "Le libellé court ne doit pas dépasser 20 caractères."),
        ({"label": None}, "label", "Le libellé long est obligatoire."),
        ({"label": "X" * 101}, "label", "Le libellé long ne doit pas dépasser 100 caractères."),
        (
            {"response_delay_days": None},
            "response_delay_days",
            "Le délai de réponse avant alerte est obligatoire.",
        ),
        (
            {"response_delay_days": -1},
            "response_delay_days",
            "Le délai de réponse avant alerte est un nombre de jours entre 0 et 365.",
        ),
        (
            {"template": "X" * 1001},
            "template",
            "Le modèle de document ne doit pas dépasser 1000 caractères.",
        ),
        (
            {"template": "Bonjour {parent}"},
            "template",
            "Le modèle de message utilise des champs inconnus : {parent}. Champs possibles : "
            "{debut}, {division}, {eleve}, {etablissement}, {fin}, {telephone}.",
        ),
        (
            {"contact_phone": "123"},
            "contact_phone",
            "Le numéro de l'émetteur est invalide : 123.",
        ),
        (
            {"provider_account_code": 1},
            "provider_account_code",
            "Code fournisseur de service inconnu : l'établissement a un seul compte, de code 0.",
        ),
    ],
)
async def test_each_field_is_validated_with_its_message(
    api: Api, change: dict, field: str, message: str
) -> None:
    await create_school(api)
    response = await api.call("POST", ACTIONS, json={**VALID, **change})
    assert response.status_code == 422
    assert error(response)["fields"] == {field: message}


async def test_every_fault_is_reported_at_once(api: Api) -> None:
    await create_school(api)
    response = await api.call("POST", ACTIONS, json={"code": "", "label": ""})
    assert set(error(response)["fields"]) == {"code", "label"}


async def test_an_action_has_the_seeds_defaults(api: Api) -> None:
    await create_school(api)
    action = await api.ok("POST", ACTIONS, json={"code": "SMS", "label": "ENVOI SMS"})
    assert action["response_delay_days"] == 1
    assert action["processing"] == "Envoi de SMS"
    assert action["template"] == DEFAULT_TEMPLATE
    assert action["provider_account_code"] == 0
    assert action["emitter"] == "01 40 00 00 00"  # the school's phone


async def test_a_cpes_direct_line_is_the_emitter_when_set(api: Api) -> None:
    await create_school(api)
    action = await api.ok("POST", ACTIONS, json={**VALID, "contact_phone": "01 40 00 00 12"})
    assert action["emitter"] == "01 40 00 00 12"


async def test_a_second_action_with_the_same_short_label_is_refused(api: Api) -> None:
    await create_school(api)
    await api.ok("POST", ACTIONS, json=VALID)
    response = await api.call("POST", ACTIONS, json=VALID)
    assert response.status_code == 409
    assert error(response)["message"] == "Une action porte déjà ce libellé court."


async def test_editing_an_action_is_recorded_in_the_audit_trail(api: Api) -> None:
    await create_school(api)
    action = await api.ok("POST", ACTIONS, json=VALID)
    await api.ok("PUT", f"{ACTIONS}/{action['id']}", json={**VALID, "response_delay_days": 2})
    trail = await api.ok("GET", f"/api/v1/schools/{UAI}/audit")
    latest = trail["items"][0]
    assert latest["action"] == "action.updated"
    assert latest["details"]["changes"] == {"response_delay_days": {"before": 1, "after": 2}}


async def test_a_retired_action_leaves_the_list(api: Api) -> None:
    await create_school(api)
    action = await api.ok("POST", ACTIONS, json=VALID)
    await api.ok("DELETE", f"{ACTIONS}/{action['id']}")
    assert await api.ok("GET", ACTIONS) == []
    kept = await api.ok("GET", f"{ACTIONS}/{action['id']}")
    assert kept["active"] is False

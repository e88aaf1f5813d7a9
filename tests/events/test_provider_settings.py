"""Paramétrages › Fournisseur de services: the Conseil d'Administration's approval, the catalog."""

from __future__ import annotations

import json

import pytest
from events_support import CERTIFIED, create_school, error, settings_of
from support.events_api import UAI, Api

CA_REQUIRED = (
    "Le choix de l'opérateur et le contrat établi avec lui doivent être soumis au Conseil "
    "d'Administration : indiquer la date et la référence de son approbation."
)


@pytest.mark.parametrize("missing", ["ca_approved_on", "ca_reference"])
async def test_a_certified_operator_needs_the_councils_approval(api: Api, missing: str) -> None:
    await create_school(api)
    body = {k: v for k, v in CERTIFIED.items() if k != missing}
    response = await api.call("PUT", f"/api/v1/schools/{UAI}/provider", json=body)
    assert error(response) == {"code": "ca_approval_required", "message": CA_REQUIRED}


async def test_an_approval_dated_in_the_future_is_refused(api: Api) -> None:
    await create_school(api)
    body = {**CERTIFIED, "ca_approved_on": "2999-01-01"}
    response = await api.call("PUT", f"/api/v1/schools/{UAI}/provider", json=body)
    assert error(response)["message"] == (
        "La date d'approbation du Conseil d'Administration ne peut pas être dans le futur."
    )


async def test_the_approval_is_shown_and_the_password_only_as_recorded(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    shown = await api.ok("GET", f"/api/v1/schools/{UAI}/provider")
    assert shown["ca_approved_on"] == "2026-09-15"
    assert shown["ca_reference"] == "CA-2026-12"
    assert shown["password_set"] is True
    assert "s3cret-pw" not in json.dumps(shown)


async def test_saving_the_provider_publishes_the_account(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    published = (await settings_of(api))[-1]
    assert published["provider"]["dialect"] == "digitaleo"
    assert published["provider"]["key"] == "client-id"
    assert "s3cret-pw" not in json.dumps(published)


async def test_choosing_aucun_removes_the_account(api: Api) -> None:
    await create_school(api)
    await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    shown = await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json={"provider_code": None})
    assert shown["provider_code"] is None and shown["password_set"] is False
    assert (await settings_of(api))[-1]["provider"] is None


async def test_the_catalog_tells_what_each_field_means(api: Api) -> None:
    catalog = {e["code"]: e for e in await api.ok("GET", "/api/v1/providers")}
    assert set(catalog) >= {"DIGITALEO", "PLURIWARE", "ENVOYERSMSPRO"}
    assert catalog["PLURIWARE"]["website"] == "http://www.eplesms.fr"
    assert set(catalog["DIGITALEO"]["fields"]) == {"key", "password", "option1", "option2"}

"""The seed's steps 1 to 4 through the events API, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.events_api import OTHER_UAI, UAI, Api, seed_school

from shared.db.pool import tenant_transaction


async def outbox(api: Api, topic: str) -> list[dict]:
    pool = api.app.state.resources.pool
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [json.loads(r["payload"]) for r in rows]


async def add_sms(api: Api, seeded: dict) -> dict:
    legal1 = seeded["pupil"]["recipients"][0]
    return await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1["id"]]},
    )


async def test_provider_password_is_stored_encrypted_and_never_returned(api: Api) -> None:
    await seed_school(api)
    provider = await api.ok("GET", f"/api/v1/schools/{UAI}/provider")
    assert provider["password_set"] is True
    assert "s3cret-pw" not in json.dumps(provider)
    async with tenant_transaction(api.app.state.resources.pool, {UAI}) as conn:
        stored = await conn.fetchval("SELECT password_encrypted FROM provider_settings")
    assert "s3cret-pw" not in stored
    settings = (await outbox(api, "school.settings.v1"))[-1]
    assert settings["provider"]["dialect"] == "simulator"
    assert "s3cret-pw" not in json.dumps(settings)
    assert (
        api.app.state.resources.box.decrypt_text(settings["provider"]["password_encrypted"])
        == "s3cret-pw"
    )


async def test_a_sms_action_renders_the_text_and_waits_in_the_pending_list(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    assert created["encoding"] == "GSM-7"
    assert "Léa MARTIN" in created["text"] and "30/11/2026 à 08:30" in created["text"]
    pending = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending")
    assert pending["message"] == "Il y a actuellement 1 SMS en attente de diffusion"
    assert pending["pagination"]["label"] == "Enregistrement(s) 1 à 1, sur 1 trouvé(s)"
    [item] = pending["items"]
    assert item["recipient"] == "Légal 1 - Financier"
    assert item["event"] == "Absence du 30/11/26 08:30 au 30/11/26 12:30"
    assert item["recipient_phone"] == "+33 6 ** ** ** 01"


async def test_ineligible_recipients_are_refused_one_by_one_with_their_reason(api: Api) -> None:
    seeded = await seed_school(api)
    legal2, correspondant = seeded["pupil"]["recipients"][1], seeded["pupil"]["recipients"][2]
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [legal2["id"], correspondant["id"]],
        },
    )
    assert response.status_code == 422
    refusals = {r["role"]: r["reason"] for r in response.json()["error"]["refusals"]}
    assert "accepte les SMS" in refusals["Légal 2"]
    assert "mobile" in refusals["Correspondant n°1"]


async def test_diffuse_queues_the_sms_and_writes_one_request_to_the_outbox(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    result = await api.ok(
        "POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"ids": created["created"]}
    )
    assert result["diffused"] == created["created"]
    [request] = await outbox(api, "sms.requested.v1")
    assert request["recipient_phone"] == "+33600000001"
    assert request["recipient_role"] == "Légal 1 - Financier"
    assert request["school_name"] == "Collège Victor Hugo"
    pending = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending")
    assert pending["count"] == 0
    absence = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")
    assert absence["history"][0]["state_label"] == "en attente d'envoi"


async def test_two_concurrent_diffusions_of_the_same_sms_request_it_once(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    results = await asyncio.gather(
        *[
            api.ok("POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"ids": created["created"]})
            for _ in range(5)
        ]
    )
    assert sorted(len(r["diffused"]) for r in results) == [0, 0, 0, 0, 1]
    assert len(await outbox(api, "sms.requested.v1")) == 1


async def test_two_guardians_sharing_a_number_get_one_sms(api: Api) -> None:
    await seed_school(api)
    pupil = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/pupils",
        json={
            "last_name": "PETIT",
            "first_name": "Jules",
            "division": "3B",
            "recipients": [
                {"role_label": "Légal 1", "mobile": "+33600000009", "accepts_sms": True},
                {"role_label": "Légal 2", "mobile": "0600000009", "accepts_sms": True},
            ],
        },
    )
    action = (await api.ok("GET", f"/api/v1/schools/{UAI}/actions"))[0]
    absence = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences",
        json={
            "pupil_id": pupil["id"],
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T09:30:00+01:00",
        },
    )
    created = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{absence['id']}/sms",
        json={"action_id": action["id"], "recipient_ids": [r["id"] for r in pupil["recipients"]]},
    )
    assert len(created["created"]) == 1


@pytest.mark.parametrize("mobile", ["01 45 67 89 10", "12345", "+33 6 00"])
async def test_a_landline_or_malformed_number_is_refused(api: Api, mobile: str) -> None:
    await seed_school(api)
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/pupils",
        json={
            "last_name": "X",
            "first_name": "Y",
            "recipients": [{"role_label": "Légal 1", "mobile": mobile, "accepts_sms": True}],
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_phone", "not_a_mobile"}


async def test_an_unknown_field_is_refused(api: Api) -> None:
    await seed_school(api)
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/actions",
        json={"code": "X", "label": "Y", "template": "t", "colour": "red"},
    )
    assert response.status_code == 422
    assert "colour" in response.text


async def test_another_schools_token_and_the_ops_role_are_refused_without_leaking(api: Api) -> None:
    seeded = await seed_school(api)
    for who in ("other", "ops"):
        for path in (
            f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}",
            f"/api/v1/schools/{UAI}/sms/pending",
            f"/api/v1/schools/{UAI}/provider",
        ):
            response = await api.call("GET", path, as_=who)
            assert response.status_code == 403
            assert "MARTIN" not in response.text and "Victor" not in response.text
    no_token = await api.client.get(f"/api/v1/schools/{UAI}/sms/pending")
    assert no_token.status_code == 401
    staff_put = await api.call("PUT", f"/api/v1/schools/{OTHER_UAI}", json={"name": "Intrus"})
    assert staff_put.status_code == 403

"""SMS à diffuser and Diffuser: the pending list, the checks made again at diffusion, the
refusals that leave every SMS pending, and one request per SMS however many clicks."""

from __future__ import annotations

import asyncio

from absences_support import (
    SCHOOL,
    add_sms,
    history,
    new_absence,
    new_pupil,
    pending,
    requests,
    update_recipient,
)
from events_support import error
from support.events_api import UAI, Api, seed_school


async def diffuse(api: Api, **body: object) -> dict:
    return await api.ok("POST", f"{SCHOOL}/sms/diffuse", json=body)


async def test_the_pending_list_pages_with_the_seed_columns_and_sentences(api: Api) -> None:
    seeded = await seed_school(api)
    for _ in range(3):
        absence = await new_absence(api, seeded["pupil"]["id"])
        await api.ok(
            "POST",
            f"{SCHOOL}/absences/{absence['id']}/sms",
            json={
                "action_id": seeded["action"]["id"],
                "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
            },
        )
    first = await pending(api, page_size=2)
    assert first["message"] == "Il y a actuellement 3 SMS en attente de diffusion"
    assert first["pagination"]["label"] == "Enregistrement(s) 1 à 2, sur 3 trouvé(s)"
    assert first["pagination"]["pages"] == 2
    second = await pending(api, page_size=2, page=2)
    assert second["pagination"]["label"] == "Enregistrement(s) 3 à 3, sur 3 trouvé(s)"
    [item] = second["items"]
    assert {k: item[k] for k in ("action", "pupil_name", "division", "event", "recipient")} == {
        "action": "ENVOI SMS",
        "pupil_name": "MARTIN Léa",
        "division": "4A",
        "event": "Absence du 30/11/26 08:30 au 30/11/26 12:30",
        "recipient": "Légal 1 - Financier",
    }
    assert {i["sms_id"] for i in first["items"]}.isdisjoint({item["sms_id"]})


async def test_an_empty_list_says_zero(api: Api) -> None:
    await seed_school(api)
    page = await pending(api)
    assert page["message"] == "Il y a actuellement 0 SMS en attente de diffusion"
    assert page["pagination"]["label"] == "Enregistrement(s) 0 à 0, sur 0 trouvé(s)"


async def test_an_opt_out_since_the_action_was_added_stops_that_sms_with_the_reason(
    api: Api,
) -> None:
    seeded = await seed_school(api)
    pupil = await new_pupil(
        api,
        {"role_label": "Légal 1", "mobile": "0600000011", "accepts_sms": True},
        {"role_label": "Légal 2", "mobile": "0600000012", "accepts_sms": True},
    )
    absence = await new_absence(api, pupil["id"])
    legal1, legal2 = (r["id"] for r in pupil["recipients"])
    created = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1, legal2]},
    )
    await update_recipient(api, pupil["id"], legal2, accepts_sms=False)
    result = await diffuse(api, ids=created["created"])
    assert len(result["diffused"]) == 1
    [stopped] = result["stopped"]
    assert stopped["recipient"] == "Légal 2"
    assert "accepte les SMS" in stopped["reason"]
    assert stopped["state_label"] == "annulé"
    [request] = await requests(api)
    assert request["recipient_role"] == "Légal 1"
    states = {
        h["recipient"]: (h["state"], h["reason_message"]) for h in await history(api, absence["id"])
    }
    assert states["Légal 1"] == ("queued", None)
    assert states["Légal 2"][0] == "cancelled" and "accepte les SMS" in states["Légal 2"][1]


async def test_a_recipient_removed_from_the_directory_is_not_texted(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    legal1 = seeded["pupil"]["recipients"][0]["id"]
    await api.ok("DELETE", f"{SCHOOL}/pupils/{seeded['pupil']['id']}/recipients/{legal1}")
    result = await diffuse(api, ids=created["created"])
    assert result["diffused"] == []
    assert result["stopped"][0]["reason_code"] == "recipient_removed"
    assert await requests(api) == []


async def test_the_sms_leaves_with_the_number_and_the_text_as_they_are_at_diffusion(
    api: Api,
) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    await update_recipient(
        api, seeded["pupil"]["id"], seeded["pupil"]["recipients"][0]["id"], mobile="06 11 22 33 44"
    )
    await api.ok(
        "PUT",
        f"{SCHOOL}/actions/{seeded['action']['id']}",
        json={
            "code": "SMS",
            "label": "ENVOI SMS",
            "response_delay_days": 1,
            "template": "{eleve} absent(e) le {debut}, merci d'appeler le {telephone}.",
        },
    )
    await api.ok(
        "PUT", SCHOOL, as_="academie", json={"name": "Collège V. Hugo", "phone": "0140000000"}
    )
    await diffuse(api, ids=created["created"])
    [request] = await requests(api)
    assert request["recipient_phone"] == "+33611223344"
    assert request["text"] == (
        "Léa MARTIN absent(e) le 30/11/2026 à 08:30, merci d'appeler le 0140000000."
    )
    assert request["school_name"] == "Collège V. Hugo"


async def test_a_transliterated_action_leaves_in_gsm7(api: Api) -> None:
    seeded = await seed_school(api)
    await api.ok(
        "PUT",
        f"{SCHOOL}/actions/{seeded['action']['id']}",
        json={
            "code": "SMS",
            "label": "ENVOI SMS",
            "response_delay_days": 1,
            "template": "{eleve} est absent(e) : ça nécessite une réponse rapide, même brève.",
        },
    )
    created = await add_sms(api, seeded, transliterate=True)
    assert created["encoding"] == "GSM-7" and "ca nécessite" in created["text"]
    await diffuse(api, ids=created["created"])
    [request] = await requests(api)
    assert request["encoding"] == "GSM-7"
    assert (
        request["text"] == "Léa MARTIN est absent(e) : ca nécessite une réponse rapide, meme brève."
    )


async def test_a_school_without_the_green_light_is_refused_and_its_sms_stay_pending(
    api: Api,
) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    await api.ok("POST", "/api/v1/academie/schools/disable", as_="academie", json={"uais": [UAI]})
    response = await api.call("POST", f"{SCHOOL}/sms/diffuse", json={"ids": created["created"]})
    assert response.status_code == 422
    assert error(response)["code"] == "sms_not_enabled"
    assert "feu vert" in error(response)["message"]
    assert (await pending(api))["count"] == 1
    assert await requests(api) == []


async def test_a_school_without_a_provider_is_refused_and_its_sms_stay_pending(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    await api.ok("PUT", f"{SCHOOL}/provider", as_="academie", json={"provider_code": None})
    response = await api.call("POST", f"{SCHOOL}/sms/diffuse", json={"all": True})
    assert response.status_code == 422
    assert error(response)["code"] == "no_provider"
    assert "Aucun fournisseur de service" in error(response)["message"]
    assert [i["sms_id"] for i in (await pending(api))["items"]] == created["created"]
    assert await requests(api) == []


async def test_two_concurrent_diffusions_of_the_same_sms_send_each_once(api: Api) -> None:
    seeded = await seed_school(api)
    first = await add_sms(api, seeded)
    other = await new_absence(api, seeded["pupil"]["id"])
    second = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{other['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
        },
    )
    ids = first["created"] + second["created"]
    by_ids, by_all = await asyncio.gather(diffuse(api, ids=ids), diffuse(api, all=True))
    assert sorted(by_ids["diffused"] + by_all["diffused"]) == sorted(ids)
    sent = [r["sms_id"] for r in await requests(api)]
    assert sorted(sent) == sorted(ids)


async def test_diffusing_again_sends_nothing_more(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    await diffuse(api, ids=created["created"])
    again = await diffuse(api, ids=created["created"])
    assert again["diffused"] == [] and again["not_pending"] == created["created"]
    assert len(await requests(api)) == 1


async def test_deleting_selected_sms_removes_them_from_the_list_for_good(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    deleted = await api.ok("POST", f"{SCHOOL}/sms/delete", json={"ids": created["created"]})
    assert deleted["deleted"] == 1
    assert (await pending(api))["count"] == 0
    assert (await diffuse(api, ids=created["created"]))["diffused"] == []
    [line] = await history(api, seeded["absence"]["id"])
    assert line["state_label"] == "supprimé"
    assert await requests(api) == []


async def test_two_recipients_whose_numbers_became_the_same_get_one_sms(api: Api) -> None:
    seeded = await seed_school(api)
    pupil = await new_pupil(
        api,
        {"role_label": "Légal 1", "mobile": "0600000021", "accepts_sms": True},
        {"role_label": "Légal 2", "mobile": "0600000022", "accepts_sms": True},
    )
    absence = await new_absence(api, pupil["id"])
    legal1, legal2 = (r["id"] for r in pupil["recipients"])
    created = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1, legal2]},
    )
    assert len(created["created"]) == 2
    await update_recipient(api, pupil["id"], legal2, mobile="06 00 00 00 21")
    result = await diffuse(api, all=True)
    assert len(result["diffused"]) == 1
    assert [s["reason_code"] for s in result["stopped"]] == ["duplicate_number"]
    assert [r["recipient_phone"] for r in await requests(api)] == ["+33600000021"]


async def test_justifying_while_diffusing_either_sends_or_cancels_never_both(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    justified, diffused = await asyncio.gather(
        api.ok("PATCH", f"{SCHOOL}/absences/{seeded['absence']['id']}", json={"evidence": "Mot"}),
        diffuse(api, ids=created["created"]),
    )
    state = (await history(api, seeded["absence"]["id"]))[0]["state"]
    sent = await requests(api)
    if diffused["diffused"]:
        assert state == "queued" and len(sent) == 1
    else:
        assert state == "cancelled" and sent == []
    assert justified["justified"] is True
    assert (await pending(api))["count"] == 0

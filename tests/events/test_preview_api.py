"""Ajouter une action: the live preview of the SMS an action would send for an absence."""

from __future__ import annotations

from typing import Any

from absences_support import SCHOOL
from events_support import error
from support.events_api import Api, seed_school

TEMPLATE = "{eleve} est absent(e) le {debut} : ça mérite une réponse, même brève. {telephone}"


async def seeded_with_template(api: Api, template: str = TEMPLATE) -> dict[str, Any]:
    seeded = await seed_school(api)
    await api.ok(
        "PUT",
        f"{SCHOOL}/actions/{seeded['action']['id']}",
        json={"code": "SMS", "label": "ENVOI SMS", "response_delay_days": 1, "template": template},
    )
    return seeded


async def preview(api: Api, seeded: dict[str, Any], **body: Any) -> dict[str, Any]:
    found: dict[str, Any] = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{seeded['absence']['id']}/sms/preview",
        json={"action_id": seeded["action"]["id"], **body},
    )
    return found


async def test_the_preview_shows_ucs2_figures_and_the_gsm7_alternative(api: Api) -> None:
    seeded = await seeded_with_template(api)
    shown = await preview(api, seeded)
    text = (
        "Léa MARTIN est absent(e) le 30/11/2026 à 08:30 : ça mérite une réponse, même brève. "
        "01 40 00 00 00"
    )
    assert shown["text"] == text
    assert (shown["encoding"], shown["characters"], shown["segments"]) == ("UCS-2", len(text), 2)
    assert shown["original"]["encoding"] == "UCS-2"
    gsm7 = shown["gsm7"]
    assert gsm7["encoding"] == "GSM-7" and gsm7["segments"] == 1
    assert gsm7["text"] == text.replace("ça", "ca").replace("même", "meme")
    assert gsm7["replacements"] == [{"from": "ç", "to": "c"}, {"from": "ê", "to": "e"}]


async def test_the_transliterated_preview_is_what_would_be_sent(api: Api) -> None:
    seeded = await seeded_with_template(api)
    shown = await preview(api, seeded, transliterate=True)
    assert shown["transliterated"] is True
    assert shown["encoding"] == "GSM-7" and shown["segments"] == 1
    assert "ca mérite" in shown["text"]


async def test_a_gsm7_text_has_no_alternative_and_extension_characters_count_double(
    api: Api,
) -> None:
    seeded = await seeded_with_template(api, "{eleve} absent(e) [{division}] ~ 5€ {telephone}")
    shown = await preview(api, seeded)
    assert shown["text"] == "Léa MARTIN absent(e) [4A] ~ 5€ 01 40 00 00 00"
    assert shown["encoding"] == "GSM-7"
    assert shown["units"] == shown["characters"] + 4
    assert shown["gsm7"] is None


async def test_the_preview_says_what_becomes_of_each_recipient(api: Api) -> None:
    seeded = await seeded_with_template(api)
    shown = await preview(api, seeded)
    assert [(r["role"], r["status"]) for r in shown["recipients"]] == [
        ("Légal 1 - Financier", "sms"),
        ("Légal 2", "refused"),
        ("Correspondant n°1", "refused"),
    ]
    assert "accepte les SMS" in shown["recipients"][1]["reason"]
    assert shown["sms_count"] == 1


async def test_the_preview_of_an_unknown_absence_is_not_found(api: Api) -> None:
    seeded = await seeded_with_template(api)
    response = await api.call(
        "POST",
        f"{SCHOOL}/absences/00000000-0000-0000-0000-000000000000/sms/preview",
        json={"action_id": seeded["action"]["id"]},
    )
    assert response.status_code == 404
    assert error(response)["code"] == "unknown_absence"

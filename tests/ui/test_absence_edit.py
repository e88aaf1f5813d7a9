"""Changing an absence from its page: "Modifier l'absence", "Justifier" (its SMS à diffuser are
cancelled) and "Supprimer l'absence" after a confirmation, for the school's own staff only."""

from __future__ import annotations

from typing import Any

from support.events_api import UAI, Api, seed_school
from ui_support import Browser, csrf_of

EDIT = {
    "start_date": "2026-11-30",
    "start_time": "09:00",
    "end_date": "2026-11-30",
    "end_time": "17:00",
    "reason": "Maladie",
    "evidence": "",
    "observed": "1",
}


async def absence_with_pending_sms(api: Api) -> tuple[dict[str, Any], str]:
    seeded = await seed_school(api)
    legal1 = seeded["pupil"]["recipients"][0]
    created = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1["id"]]},
    )
    return seeded, created["created"][0]


def page_of(seeded: dict[str, Any]) -> str:
    return f"/e/{UAI}/absences/{seeded['absence']['id']}"


async def pending_count(api: Api) -> int:
    count: int = (await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending"))["count"]
    return count


async def test_the_edit_form_is_prefilled_with_the_absence_in_the_schools_time(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seeded = await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    absence_page = await browser.get(page_of(seeded))
    assert f'href="{page_of(seeded)}/modifier">Modifier l\'absence' in absence_page.text
    form = await browser.get(page_of(seeded) + "/modifier")
    assert form.status_code == 200
    assert 'id="start_date" name="start_date" type="date" value="2026-11-30"' in form.text
    assert 'name="start_time" type="time" value="08:30"' in form.text
    assert 'name="end_time" type="time" value="12:30"' in form.text
    assert 'id="observed" name="observed" type="checkbox" value="1" checked' in form.text


async def test_editing_saves_the_new_dates_and_motif_and_rewrites_the_pending_sms(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    saved = await browser.submit(page_of(seeded) + "/modifier", page_of(seeded) + "/modifier", EDIT)
    assert saved.status_code == 303
    assert saved.headers["location"] == page_of(seeded)
    page = await browser.get(page_of(seeded))
    assert "Absence modifiée." in page.text
    assert "Motif : Maladie" in page.text
    absence = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")
    assert absence["reason"] == "Maladie"
    assert absence["starts_at"].startswith("2026-11-30T08:00:00")  # 09:00 in Paris
    pending = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending")
    assert "30/11/2026 à 09:00" in pending["items"][0]["text"]


async def test_an_edit_is_recorded_in_the_audit_under_the_signed_in_user(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded = await seed_school(api)
    await browser.sign_in("cpe@a")
    await browser.submit(page_of(seeded) + "/modifier", page_of(seeded) + "/modifier", EDIT)
    audit = await api.ok("GET", f"/api/v1/schools/{UAI}/audit")
    entries = audit["items"] if isinstance(audit, dict) else audit
    updated = [e for e in entries if e["action"] == "absence.updated"]
    assert [e["actor"] for e in updated] == ["cpe@a"]


async def test_an_absence_ending_before_it_starts_is_refused_next_to_the_field(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded = await seed_school(api)
    await browser.sign_in("cpe@a")
    refused = await browser.submit(
        page_of(seeded) + "/modifier",
        page_of(seeded) + "/modifier",
        {**EDIT, "end_time": "07:00"},
    )
    assert refused.status_code == 422
    assert 'id="end_date-erreur">La fin de l&#39;absence doit être après son début.' in (
        refused.text
    )
    assert 'value="Maladie"' in refused.text
    absence = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")
    assert absence["reason"] is None


async def test_a_missing_start_time_is_refused_next_to_the_start_date(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seeded = await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    refused = await browser.submit(
        page_of(seeded) + "/modifier", page_of(seeded) + "/modifier", {**EDIT, "start_time": ""}
    )
    assert refused.status_code == 422
    assert 'id="start_date-erreur">Début de l&#39;absence invalide' in refused.text


async def test_justifying_cancels_the_pending_sms_and_says_how_many(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    page = await browser.get(page_of(seeded))
    assert "1 SMS de cette absence attend(ent) la diffusion : la justifier les annule" in page.text
    done = await browser.client.post(
        page_of(seeded) + "/justifier",
        data={"csrf_token": csrf_of(page), "evidence": "Certificat médical", "reason": ""},
    )
    assert done.status_code == 303
    after = await browser.get(done.headers["location"])
    assert "1 SMS à diffuser annulé(s) : l&#39;absence est justifiée" in after.text
    assert "SMS - Légal 1 - Financier - " in after.text and " - annulé" in after.text
    assert 'id="justify"' not in after.text
    assert await pending_count(api) == 0


async def test_a_motif_legitime_alone_justifies_the_absence(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    done = await browser.submit(
        page_of(seeded),
        page_of(seeded) + "/justifier",
        {"evidence": "", "reason": "Rendez-vous médical", "reason_legitimate": "1"},
    )
    assert done.status_code == 303
    absence = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")
    assert absence["justified"] and absence["reason"] == "Rendez-vous médical"
    assert await pending_count(api) == 0


async def test_justifying_with_neither_justificatif_nor_motif_legitime_is_refused(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    refused = await browser.submit(
        page_of(seeded), page_of(seeded) + "/justifier", {"evidence": "AUCUN", "reason": "Retard"}
    )
    assert refused.status_code == 422
    assert 'id="evidence-erreur">Pour justifier l&#39;absence' in refused.text
    assert 'value="Retard"' in refused.text
    assert await pending_count(api) == 1


async def test_justifying_an_absence_with_nothing_pending_says_so(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seeded = await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    done = await browser.submit(
        page_of(seeded), page_of(seeded) + "/justifier", {"evidence": "Mot des parents"}
    )
    after = await browser.get(done.headers["location"])
    assert "Absence justifiée. Aucun SMS n&#39;était en attente de diffusion." in after.text


async def test_deleting_an_absence_asks_first_then_cancels_its_pending_sms(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    confirm = await browser.get(page_of(seeded) + "/supprimer")
    assert confirm.status_code == 200
    assert "1 SMS à diffuser seront annulés : la famille ne sera pas prévenue." in confirm.text
    assert await pending_count(api) == 1
    done = await browser.client.post(
        page_of(seeded) + "/supprimer", data={"csrf_token": csrf_of(confirm)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/e/{UAI}/saisie"
    saisie = await browser.get(done.headers["location"])
    assert "supprimée. 1 SMS à diffuser annulé(s)" in saisie.text
    assert await pending_count(api) == 0
    gone = await browser.get(page_of(seeded))
    assert gone.status_code == 404
    assert "Absence inconnue ou supprimée." in gone.text


async def test_changing_an_absence_without_the_pages_token_is_refused(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    for action, data in (
        ("/modifier", EDIT),
        ("/justifier", {"evidence": "Certificat"}),
        ("/supprimer", {}),
    ):
        answer = await browser.client.post(
            page_of(seeded) + action, data={"csrf_token": "faux", **data}
        )
        assert answer.status_code == 403, action
        assert "Formulaire refusé" in answer.text
    absence = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")
    assert absence["reason"] is None and not absence["justified"]
    assert await pending_count(api) == 1


async def test_another_schools_user_can_neither_open_nor_delete_the_absence(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@b")
    for url in (page_of(seeded) + "/modifier", page_of(seeded) + "/supprimer"):
        page = await browser.get(url)
        assert page.status_code == 403, url
        assert "MARTIN" not in page.text
    token = csrf_of(await browser.get("/connexion?suite=/nulle-part", follow_redirects=True))
    refused = await browser.client.post(page_of(seeded) + "/supprimer", data={"csrf_token": token})
    assert refused.status_code == 403
    assert await pending_count(api) == 1
    await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}")


async def test_sms_a_diffuser_links_each_sms_to_its_absence_to_justify_it(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seeded, _sms_id = await absence_with_pending_sms(ui[0])
    await browser.sign_in("cpe@a")
    pending = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    assert f'<a href="{page_of(seeded)}">' in pending.text


async def test_deleting_an_absence_whose_sms_left_says_nothing_will_be_cancelled(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, sms_id = await absence_with_pending_sms(api)
    await api.ok("POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"ids": [sms_id]})
    await browser.sign_in("cpe@a")
    confirm = await browser.get(page_of(seeded) + "/supprimer")
    assert "Aucun SMS n'attend la diffusion pour cette absence." in confirm.text
    assert "1 SMS déjà diffusé(s) gardent leur suivi." in confirm.text
    done = await browser.client.post(
        page_of(seeded) + "/supprimer", data={"csrf_token": csrf_of(confirm)}
    )
    saisie = await browser.get(done.headers["location"])
    assert "Absence de MARTIN Léa" in saisie.text and "supprimée." in saisie.text
    assert "annulé(s)" not in saisie.text


async def test_a_justificatif_entered_in_the_edit_form_cancels_the_pending_sms_too(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _sms_id = await absence_with_pending_sms(api)
    await browser.sign_in("cpe@a")
    edit = await browser.get(page_of(seeded) + "/modifier")
    assert "1 SMS de cette absence attend(ent) la diffusion" in edit.text
    saved = await browser.client.post(
        page_of(seeded) + "/modifier",
        data={"csrf_token": csrf_of(edit), **EDIT, "evidence": "Certificat médical"},
    )
    page = await browser.get(saved.headers["location"])
    assert "Absence modifiée. 1 SMS à diffuser annulé(s)" in page.text
    assert await pending_count(api) == 0

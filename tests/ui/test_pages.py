"""The school's pages over HTTP: what they show, the refusals, the forms and their errors."""

from __future__ import annotations

import re
from typing import Any

from support.events_api import OTHER_UAI, UAI, Api, seed_school
from ui_support import Browser, csrf_of

from shared.auth.http import SESSION_COOKIE, csrf_token_for


async def seeded(ui: tuple[Api, Any]) -> dict[str, Any]:
    return await seed_school(ui[0])


async def test_every_page_of_a_school_answers_in_french_under_a_strict_csp(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seed = await seeded(ui)
    await browser.sign_in("cpe@a")
    pages = {
        f"/e/{UAI}/": "Accueil",
        f"/e/{UAI}/parametrages/fournisseur": "Informations concernant les fournisseurs de service",
        f"/e/{UAI}/parametrages/actions": "Libellé court",
        f"/e/{UAI}/parametrages/actions/nouvelle": "Délai de réponse avant alerte",
        f"/e/{UAI}/eleves": "Peut recevoir un SMS",
        f"/e/{UAI}/saisie": "Saisie d'un évènement",
        f"/e/{UAI}/absences/{seed['absence']['id']}": "Ajouter une action",
        f"/e/{UAI}/sms-a-diffuser": "Il y a actuellement 0 SMS en attente de diffusion",
    }
    for url, text in pages.items():
        page = await browser.get(url)
        assert page.status_code == 200, (url, page.text[:300])
        assert text in page.text, url
        assert '<html lang="fr">' in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert " style=" not in page.text and "<script>" not in page.text, url


async def test_another_schools_user_sees_none_of_the_schools_pages(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seed = await seeded(ui)
    await browser.sign_in("cpe@b")
    for url in (
        f"/e/{UAI}/",
        f"/e/{UAI}/eleves",
        f"/e/{UAI}/absences/{seed['absence']['id']}",
        f"/e/{UAI}/sms-a-diffuser",
        f"/e/{UAI}/parametrages/fournisseur",
        "/academie",
    ):
        page = await browser.get(url)
        assert page.status_code == 403, url
        assert "Accès refusé" in page.text
        assert "MARTIN" not in page.text and "Victor Hugo" not in page.text
    own = await browser.get(f"/e/{OTHER_UAI}/sms-a-diffuser")
    assert own.status_code in (200, 404)


async def test_a_form_posted_without_the_pages_token_changes_nothing(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seeded(ui)
    await browser.sign_in("cpe@a")
    forged = await browser.client.post(
        f"/e/{UAI}/parametrages/actions/nouvelle",
        data={"code": "FORGED", "label": "x", "response_delay_days": "1"},
    )
    assert forged.status_code == 403
    actions = await ui[0].ok("GET", f"/api/v1/schools/{UAI}/actions")
    assert [a["code"] for a in actions] == ["SMS"]


async def test_the_api_refuses_a_cookie_authenticated_post_without_the_csrf_header(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seeded(ui)
    await browser.sign_in("cpe@a")
    session = browser.client.cookies[SESSION_COOKIE]
    url = f"/api/v1/schools/{UAI}/sms/diffuse"
    refused = await browser.client.post(url, json={"all": True})
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "csrf_rejected"
    allowed = await browser.client.post(
        url, json={"all": True}, headers={"X-CSRF-Token": csrf_token_for(session)}
    )
    assert allowed.status_code == 200
    assert (await browser.client.get(f"/api/v1/schools/{UAI}/sms/pending")).status_code == 200


async def test_an_invalid_action_shows_each_error_next_to_its_field(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seeded(ui)
    await browser.sign_in("cpe@a")
    answer = await browser.submit(
        f"/e/{UAI}/parametrages/actions/nouvelle",
        f"/e/{UAI}/parametrages/actions/nouvelle",
        {
            "code": "",
            "label": "Un libellé",
            "response_delay_days": "500",
            "template": "",
            "contact_phone": "",
        },
    )
    assert answer.status_code == 422
    assert 'id="code-erreur">Le libellé court est obligatoire.' in answer.text
    assert 'id="response_delay_days-erreur">Le délai de réponse' in answer.text
    assert 'value="Un libellé"' in answer.text


async def test_an_action_is_created_then_modified_from_its_form(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seeded(ui)
    await browser.sign_in("cpe@a")
    created = await browser.submit(
        f"/e/{UAI}/parametrages/actions/nouvelle",
        f"/e/{UAI}/parametrages/actions/nouvelle",
        {
            "code": "SMS2",
            "label": "Second SMS",
            "response_delay_days": "2",
            "template": "",
            "contact_phone": "01 40 00 00 01",
        },
    )
    assert created.status_code == 303
    listing = await browser.get(created.headers["location"])
    assert "Action enregistrée." in listing.text and "Second SMS" in listing.text
    link = re.search(
        rf'href="(/e/{UAI}/parametrages/actions/[0-9a-f-]{{36}})">Modifier'
        r"<span class=\"sr-only\"> l'action SMS2",
        listing.text,
    )
    assert link
    edited = await browser.submit(
        link.group(1),
        link.group(1),
        {
            "code": "SMS2",
            "label": "Second SMS modifié",
            "response_delay_days": "3",
            "template": "",
            "contact_phone": "",
        },
    )
    assert edited.status_code == 303
    actions = await ui[0].ok("GET", f"/api/v1/schools/{UAI}/actions")
    changed = next(a for a in actions if a["code"] == "SMS2")
    assert changed["label"] == "Second SMS modifié" and changed["response_delay_days"] == 3


async def test_the_provider_form_keeps_the_password_secret_and_explains_its_fields(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seeded(ui)
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/parametrages/fournisseur")
    assert "s3cret-pw" not in page.text
    assert "Un mot de passe est enregistré" in page.text
    assert "Identifiant du compte simulé" in page.text
    assert "sconet@digitaleo.com" in page.text
    assert re.search(r'id="receipt_url" type="text" value="[^"]+/api/v1/receipts/', page.text)
    refused = await browser.submit(
        f"/e/{UAI}/parametrages/fournisseur",
        f"/e/{UAI}/parametrages/fournisseur",
        {
            "provider_code": "DIGITALEO",
            "key": "client",
            "password": "pw",
            "option1": "",
            "option2": "",
            "ca_approved_on": "",
            "ca_reference": "",
        },
    )
    assert refused.status_code == 422
    assert 'id="ca_reference-erreur">Le choix de l&#39;opérateur' in refused.text


async def test_an_absence_and_its_sms_go_from_saisie_to_diffuser_after_confirmation(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    seed = await seeded(ui)
    pupil = seed["pupil"]
    await browser.sign_in("cpe@a")
    found = await browser.get(f"/e/{UAI}/saisie", params={"q": "mart"})
    assert f"/e/{UAI}/saisie?eleve={pupil['id']}" in found.text
    form_url = f"/e/{UAI}/saisie?eleve={pupil['id']}"
    recorded = await browser.submit(
        form_url,
        f"/e/{UAI}/saisie",
        {
            "pupil_id": pupil["id"],
            "start_date": "2026-11-30",
            "start_time": "08:30",
            "end_date": "2026-11-30",
            "end_time": "12:30",
            "reason": "",
            "evidence": "",
            "observed": "1",
        },
    )
    assert recorded.status_code == 303
    absence_url = recorded.headers["location"]
    page = await browser.get(absence_url)
    legal1 = next(r for r in pupil["recipients"] if r["role_label"] == "Légal 1 - Financier")
    legal2 = next(r for r in pupil["recipients"] if r["role_label"] == "Légal 2")
    assert re.search(rf'id="r-{legal2["id"]}"[^>]*disabled', page.text)
    assert "La case « accepte les SMS » n&#39;est pas cochée." in page.text
    assert "caractères" in page.text and "SMS par destinataire" in page.text
    added = await browser.client.post(
        absence_url + "/sms",
        data={
            "csrf_token": csrf_of(page),
            "action_id": seed["action"]["id"],
            "recipient_ids": [legal1["id"]],
        },
    )
    assert added.status_code == 303
    assert "1 SMS ajouté(s)" in (await browser.get(added.headers["location"])).text
    pending = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    assert "Il y a actuellement 1 SMS en attente de diffusion" in pending.text
    sms_id = re.search(r'name="ids" value="([0-9a-f-]{36})"', pending.text)
    assert sms_id
    confirm = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser",
        data={"csrf_token": csrf_of(pending), "ids": [sms_id.group(1)], "op": "diffuse"},
    )
    assert "1 SMS vont partir vers l'opérateur" in confirm.text
    still = await ui[0].ok("GET", f"/api/v1/schools/{UAI}/sms/pending")
    assert still["count"] == 1
    done = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser/confirmer",
        data={"csrf_token": csrf_of(confirm), "ids": [sms_id.group(1)], "op": "diffuse"},
    )
    assert done.status_code == 303
    after = await browser.get(done.headers["location"])
    assert "1 SMS diffusé(s)" in after.text
    assert "Il y a actuellement 0 SMS en attente de diffusion" in after.text

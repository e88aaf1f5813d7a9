"""Edge cases of the pages: SMS à vérifier, Tester on an unreachable operator, a refused SIECLE
file, reporting unavailable, the académie's import and green light, deletion after confirmation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from support.events_api import UAI, Api, seed_school
from ui_support import Browser, add_account, csrf_of, running_ui

from events.adapters import health
from events.app.tracking import on_sms_submitted
from shared.auth import Role
from shared.contracts import ProviderHealthV1, SmsSubmittedV1
from shared.db.pool import tenant_transaction


async def pending_sms(api: Api) -> tuple[dict[str, Any], str]:
    seeded = await seed_school(api)
    legal1 = seeded["pupil"]["recipients"][0]
    created = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1["id"]]},
    )
    return seeded, created["created"][0]


async def test_an_sms_a_verifier_is_shown_and_resent_from_the_page(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, app = ui
    seeded, sms_id = await pending_sms(api)
    await api.ok("POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"ids": [sms_id]})
    submitted = SmsSubmittedV1(
        producer="dispatcher",
        uai=UAI,
        sms_id=UUID(sms_id),
        state="unconfirmed",
        provider_code="SIMULATEUR",
        segments=1,
        submitted_at=datetime.now(UTC),
        absence_id=UUID(seeded["absence"]["id"]),
        action_code="SMS",
        recipient_role="Légal 1 - Financier",
    )
    async with tenant_transaction(app.state.resources.pool, {UAI}) as conn:
        await on_sms_submitted(conn, [submitted])
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    assert "SMS à vérifier (1)" in page.text
    assert f'name="sms_ids" value="{sms_id}"' in page.text
    done = await browser.client.post(
        f"/e/{UAI}/sms-a-verifier",
        data={"csrf_token": csrf_of(page), "sms_ids": [sms_id], "decision": "resend"},
    )
    assert done.status_code == 303
    after = await browser.get(done.headers["location"])
    assert "1 SMS renvoyé(s)" in after.text
    assert "Renvoi demandé par cpe@a" in after.text


async def test_deleting_a_pending_sms_asks_first_then_deletes_it(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    _seeded, sms_id = await pending_sms(api)
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    confirm = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser",
        data={"csrf_token": csrf_of(page), "delete_ids": [sms_id], "op": "delete"},
    )
    assert "1 SMS vont être supprimés" in confirm.text
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending"))["count"] == 1
    done = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser/confirmer",
        data={"csrf_token": csrf_of(confirm), "ids": [sms_id], "op": "delete"},
    )
    assert "1 SMS supprimé(s)." in (await browser.get(done.headers["location"])).text
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending"))["count"] == 0


async def test_diffusing_with_nothing_ticked_says_so_and_sends_nothing(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    await pending_sms(api)
    await browser.sign_in("cpe@a")
    answer = await browser.submit(
        f"/e/{UAI}/sms-a-diffuser", f"/e/{UAI}/sms-a-diffuser", {"op": "diffuse"}
    )
    page = await browser.get(answer.headers["location"])
    assert "Aucun SMS sélectionné à diffuser" in page.text
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending"))["count"] == 1


async def test_a_file_that_is_not_a_siecle_export_is_refused_next_to_the_field(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/eleves")
    answer = await browser.client.post(
        f"/e/{UAI}/eleves/import",
        data={"csrf_token": csrf_of(page)},
        files={"eleves": ("eleves.xml", b"<html>pas un export</html>", "text/xml")},
    )
    assert answer.status_code == 422
    assert re.search(r'id="import-erreur">Fichier eleves\.xml', answer.text)


async def test_an_import_without_the_pages_token_is_refused(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    answer = await browser.client.post(
        f"/e/{UAI}/eleves/import", files={"eleves": ("eleves.xml", b"<x/>", "text/xml")}
    )
    assert answer.status_code == 403


async def test_suivi_says_in_french_when_reporting_cannot_be_reached(isolation, topics) -> None:
    await topics()
    async with running_ui(
        isolation, enable_schools_on_creation=True, reporting_base_url="http://127.0.0.1:9"
    ) as (api, app):
        await seed_school(api)
        await add_account(app, "cpe@a", Role.STAFF, UAI)
        browser = Browser(app)
        try:
            await browser.sign_in("cpe@a")
            page = await browser.get(f"/e/{UAI}/suivi")
            assert page.status_code == 200
            assert "Le suivi des SMS est momentanément indisponible" in page.text
            refresh = await browser.submit(
                f"/e/{UAI}/suivi", f"/e/{UAI}/suivi/mettre-a-jour", {"onglet": "delivres"}
            )
            assert refresh.headers["location"] == f"/e/{UAI}/suivi?onglet=delivres"
        finally:
            await browser.aclose()


async def test_tester_on_an_unreachable_operator_answers_in_french(isolation, topics) -> None:
    await topics()
    async with running_ui(
        isolation, enable_schools_on_creation=True, simulator_base_url="http://127.0.0.1:9"
    ) as (api, app):
        await seed_school(api)
        await add_account(app, "cpe@a", Role.STAFF, UAI)
        browser = Browser(app)
        try:
            await browser.sign_in("cpe@a")
            url = f"/e/{UAI}/parametrages/fournisseur"
            answer = await browser.submit(
                url,
                url + "/tester",
                {
                    "provider_code": "SIMULATEUR",
                    "key": "acct",
                    "password": "",
                    "option1": "",
                    "option2": "",
                    "ca_approved_on": "",
                    "ca_reference": "",
                },
            )
            assert answer.status_code == 200
            assert re.search(r'id="test-result">[^<]*injoignable', answer.text)
        finally:
            await browser.aclose()


async def test_the_academie_imports_schools_and_gives_the_green_light(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    await browser.sign_in("rectorat")
    page = await browser.get("/academie")
    csv = (
        "UAI;nom;téléphone;adresse;territoire\n"
        "0750011A;Collège Un;01 40 00 00 11;;\n"
        "pas-un-uai;Collège Deux;;;\n"
    ).encode()
    report = await browser.client.post(
        "/academie/import",
        data={"csrf_token": csrf_of(page)},
        files={"fichier": ("ecoles.csv", csv, "text/csv")},
    )
    assert report.status_code == 200
    assert "1 créé(s)" in report.text and "1 ligne(s) en erreur" in report.text
    assert "0750011A" in report.text
    done = await browser.client.post(
        "/academie/feu-vert",
        data={"csrf_token": csrf_of(report), "uais": ["0750011A"], "op": "disable"},
    )
    assert (
        "Feu vert retiré à 1 établissement(s) sur 1."
        in (await browser.get(done.headers["location"])).text
    )
    school = await api.ok("GET", "/api/v1/schools/0750011A", as_="academie")
    assert school["sms_enabled"] is False


async def test_the_home_page_shows_the_banner_when_the_operator_is_unreachable(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, app = ui
    await seed_school(api)
    report = ProviderHealthV1(
        producer="dispatcher",
        uai=UAI,
        provider_code="SIMULATEUR",
        reachable=False,
        circuit_state="open",
        waiting_sms=7,
        last_error_code="operator_unreachable",
        checked_at=datetime.now(UTC),
    )
    async with tenant_transaction(app.state.resources.pool, {UAI}) as conn:
        await health.record(conn, [report])
    await browser.sign_in("cpe@a")
    home = await browser.get(f"/e/{UAI}/")
    banner = re.search(r'<div class="banner" role="alert">([^<]*)</div>', home.text)
    assert banner
    assert banner.group(1).startswith("Le service d&#39;envoi de SMS est injoignable")
    assert "7 SMS en attente" in banner.group(1)


async def test_a_school_user_cannot_post_to_the_academie_screens(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    await seed_school(api)
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/")
    refused = await browser.client.post(
        "/academie/feu-vert", data={"csrf_token": csrf_of(page), "uais": [UAI], "op": "disable"}
    )
    assert refused.status_code == 403
    school = await api.ok("GET", f"/api/v1/schools/{UAI}", as_="academie")
    assert school["sms_enabled"] is True


async def test_tout_selectionner_without_javascript_diffuses_every_pending_sms(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded, _first = await pending_sms(api)
    other = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences",
        json={
            "pupil_id": seeded["pupil"]["id"],
            "starts_at": "2026-11-27T08:30:00+01:00",
            "ends_at": "2026-11-27T12:30:00+01:00",
        },
    )
    await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{other['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
        },
    )
    await browser.sign_in("cpe@a")
    page = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    confirm = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser",
        data={"csrf_token": csrf_of(page), "all": "1", "op": "diffuse"},
    )
    assert "2 SMS vont partir" in confirm.text
    done = await browser.client.post(
        f"/e/{UAI}/sms-a-diffuser/confirmer",
        data={"csrf_token": csrf_of(confirm), "all": "1", "op": "diffuse"},
    )
    assert "2 SMS diffusé(s)" in (await browser.get(done.headers["location"])).text
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/sms/pending"))["count"] == 0


async def test_an_unknown_api_route_answers_json_and_an_unknown_page_answers_html(
    browser: Browser,
) -> None:
    api = await browser.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    page = await browser.get("/nulle-part")
    assert page.status_code == 404 and "Page introuvable" in page.text


async def test_an_absence_ending_before_it_starts_is_refused_next_to_the_end_date(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded = await seed_school(api)
    pupil = seeded["pupil"]
    await browser.sign_in("cpe@a")
    answer = await browser.submit(
        f"/e/{UAI}/saisie?eleve={pupil['id']}",
        f"/e/{UAI}/saisie",
        {
            "pupil_id": pupil["id"],
            "start_date": "2026-11-30",
            "start_time": "14:00",
            "end_date": "2026-11-30",
            "end_time": "08:00",
            "reason": "",
            "evidence": "",
        },
    )
    assert answer.status_code == 422
    assert 'id="end_date-erreur">La fin de l&#39;absence doit être après son début.' in answer.text
    assert 'value="14:00"' in answer.text
    absences = await api.ok("GET", f"/api/v1/schools/{UAI}/absences")
    assert len(absences) == 1  # only the seeded one


async def test_another_schools_absence_is_not_found_even_for_its_own_user(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, _app = ui
    seeded = await seed_school(api)
    await seed_school(api, "0750002B")
    await browser.sign_in("cpe@b")
    page = await browser.get(f"/e/0750002B/absences/{seeded['absence']['id']}")
    assert page.status_code == 404
    assert "Absence inconnue" in page.text and "MARTIN" not in page.text

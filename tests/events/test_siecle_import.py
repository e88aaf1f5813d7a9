"""Importing the SIECLE exports: who may receive an SMS and why not, re-imports, newer exports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from events_support import create_school
from siecle_files import Export, Link, Person, Pupil, guardians_xml, pupils_xml, zipped
from support.events_api import UAI, Api, seed_school

IMPORT = f"/api/v1/schools/{UAI}/imports/siecle"
PUPILS_ZIP = "ExportXML_ElevesSansAdresses.zip"
GUARDIANS_XML = "ResponsablesAvecAdresses.xml"


def departed_on() -> str:
    return f"{date.today() - timedelta(days=40):%d/%m/%Y}"


def family_pupils(**overrides: Any) -> list[Pupil]:
    pupils = {
        "E1": Pupil("E1", "MARTIN", "Léa", "4A", ine="111111111AA"),
        "E2": Pupil("E2", "LECŒUR", "Éloïse", "3B", mobile="06 11 22 33 44", accepts_sms="1"),
        "E3": Pupil("E3", "BERNARD", "Hugo", "5C", left_on=departed_on()),
        "E4": Pupil("E4", "PETIT", "Jules", "4A", old_name_field=True),
    }
    pupils.update(overrides)
    return [p for p in pupils.values() if p is not None]


def family_persons(**overrides: Any) -> list[Person]:
    persons = {
        "P1": Person("P1", "MARTIN", "Sophie", mobile="06 12 34 56 78"),
        "P2": Person("P2", "MARTIN", "Paul", civility="M.", mobile="+33 7 81 23 45 67"),
        "P3": Person("P3", "DURAND", "Claire", mobile="01 45 67 89 10"),
        "P4": Person("P4", "LECŒUR", "Marc", civility="M.", mobile="06 12 34 56 78"),
        "P5": Person("P5", "LECŒUR", "Anne", mobile="06 98 76 54 32", accepts_sms="0"),
        "P6": Person("P6", "BERNARD", "Luc", civility="M.", mobile="06 22 22 22 22"),
        "P7": Person("P7", "PETIT", "Nina", mobile=None),
        "P8": Person("P8", "ROUX", "Marie", mobile="12345"),
    }
    persons.update(overrides)
    return list(persons.values())


def new_format_links() -> list[Link]:
    return [
        Link("E1", "P2", level=1),
        Link("E1", "P1", level=1, pays=True),
        Link("E1", "P3", level=3),
        Link("E2", "P4", level=1, pays=True),
        Link("E2", "P5", level=1),
        Link("E3", "P6", level=1, pays=True),
        Link("E4", "P7", level=1, pays=True),
        Link("E4", "P8", level=2),
    ]


def old_format_links() -> list[Link]:
    return [
        Link("E1", "P1", resp_legal=1, pays=True),
        Link("E1", "P2", resp_legal=2),
        Link("E1", "P3", resp_legal=0, priority=True),
        # Two "Légal 1" for one pupil: an anomaly of real files.
        Link("E2", "P5", resp_legal=1),
        Link("E2", "P4", resp_legal=1, pays=True),
        Link("E3", "P6", resp_legal=1),
        Link("E4", "P7", resp_legal=1, pays=True),
        Link("E4", "P8", resp_legal=0),
    ]


def files(pupils: bytes, guardians: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("files", (PUPILS_ZIP, zipped(("ElevesSansAdresses.xml", pupils)), "application/zip")),
        ("files", (GUARDIANS_XML, guardians, "application/xml")),
    ]


async def run_import(api: Api, pupils: bytes, guardians: bytes) -> dict[str, Any]:
    answer: dict[str, Any] = await api.ok("POST", IMPORT, files=files(pupils, guardians))
    return answer


async def pupil_named(api: Api, last_name: str) -> dict[str, Any]:
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils", params={"q": last_name})
    [found] = [p for p in listed if p["source"] == "siecle"]
    pupil: dict[str, Any] = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils/{found['id']}")
    return pupil


def eligibility(pupil: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (r["role_label"], r["name"], r["mobile"], r["ineligible_code"]) for r in pupil["recipients"]
    ]


async def test_the_new_format_gives_each_recipient_its_role_number_and_eligibility(
    api: Api,
) -> None:
    await create_school(api)
    summary = await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    assert summary["pupils"] == {"created": 3, "updated": 0, "retired": 0, "unchanged": 0}
    assert summary["guardians"]["created"] == 7
    assert eligibility(await pupil_named(api, "MARTIN")) == [
        ("Légal 1 - Financier", "Mme MARTIN Sophie", "+33612345678", None),
        ("Légal 2", "M. MARTIN Paul", "+33781234567", None),
        ("Correspondant n°1", "Mme DURAND Claire", None, "not_a_mobile"),
        ("Élève", "Léa MARTIN", None, "no_mobile"),
    ]
    assert eligibility(await pupil_named(api, "lecoeur")) == [
        ("Légal 1 - Financier", "M. LECŒUR Marc", "+33612345678", None),
        ("Légal 2", "Mme LECŒUR Anne", "+33698765432", "opted_out"),
        ("Élève", "Éloïse LECŒUR", "+33611223344", None),
    ]
    assert eligibility(await pupil_named(api, "PETIT")) == [
        ("Légal 1 - Financier", "Mme PETIT Nina", None, "no_mobile"),
        ("Correspondant n°1", "Mme ROUX Marie", None, "invalid_number"),
        ("Élève", "Jules PETIT", None, "no_mobile"),
    ]


async def test_reasons_are_french_and_the_number_is_shown_masked(api: Api) -> None:
    await create_school(api)
    await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    lea = await pupil_named(api, "MARTIN")
    reasons = {r["role_label"]: r["ineligible_reason"] for r in lea["recipients"]}
    assert reasons == {
        "Légal 1 - Financier": None,
        "Légal 2": None,
        "Correspondant n°1": "Le numéro renseigné est un fixe : il ne peut pas recevoir de SMS.",
        "Élève": "Aucun numéro de téléphone mobile renseigné.",
    }
    assert lea["recipients"][0]["mobile_masked"] == "+33 6 ** ** ** 78"
    assert lea["sms_possible"] is True


async def test_the_old_format_numbers_two_legal_1_and_reports_them(api: Api) -> None:
    await create_school(api)
    summary = await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), old_format_links())
    )
    assert eligibility(await pupil_named(api, "LECŒUR")) == [
        ("Légal 1 - Financier", "M. LECŒUR Marc", "+33612345678", None),
        ("Légal 2", "Mme LECŒUR Anne", "+33698765432", "opted_out"),
        ("Élève", "Éloïse LECŒUR", "+33611223344", None),
    ]
    assert [r[0] for r in eligibility(await pupil_named(api, "MARTIN"))] == [
        "Légal 1 - Financier",
        "Légal 2",
        "Correspondant n°1",
        "Élève",
    ]
    [two] = [a for a in summary["anomalies"] if a["code"] == "two_legal_1"]
    assert two["pupil"] == "LECŒUR Éloïse (3B)"
    assert two["file"] == GUARDIANS_XML
    assert "M. LECŒUR Marc et Mme LECŒUR Anne" in two["message"]


async def test_anomalies_name_invalid_numbers_and_guardians_of_no_current_pupil(
    api: Api,
) -> None:
    await create_school(api)
    summary = await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    found = {(a["code"], a["pupil"]): a for a in summary["anomalies"]}
    assert set(found) == {
        ("not_a_mobile", "MARTIN Léa (4A)"),
        ("invalid_number", "PETIT Jules (4A)"),
        ("guardian_without_pupil", None),
    }
    assert found[("guardian_without_pupil", None)]["message"].startswith("M. BERNARD Luc")
    assert found[("invalid_number", "PETIT Jules (4A)")]["line"] is not None
    [departed] = summary["skipped"]
    assert departed["code"] == "departed"
    assert departed["message"] == f"Élève BERNARD Hugo sorti le {departed_on()}."


async def test_a_departed_pupil_is_not_listed(api: Api) -> None:
    await create_school(api)
    await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils")
    assert [(p["division"], p["last_name"]) for p in listed] == [
        ("3B", "LECŒUR"),
        ("4A", "MARTIN"),
        ("4A", "PETIT"),
    ]


async def test_re_importing_the_same_files_changes_nothing(api: Api) -> None:
    await create_school(api)
    pupils = pupils_xml(family_pupils())
    guardians = guardians_xml(family_persons(), new_format_links())
    await run_import(api, pupils, guardians)
    before = await pupil_named(api, "MARTIN")
    again = await run_import(api, pupils, guardians)
    assert again["changed"] is False
    assert again["pupils"] == {"created": 0, "updated": 0, "retired": 0, "unchanged": 3}
    assert again["guardians"] == {"created": 0, "updated": 0, "retired": 0, "unchanged": 7}
    assert await pupil_named(api, "MARTIN") == before


async def test_a_newer_export_updates_numbers_and_opt_ins_and_retires_who_left(api: Api) -> None:
    await create_school(api)
    await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    lea_before = await pupil_named(api, "MARTIN")
    newer = await run_import(
        api,
        pupils_xml(family_pupils(E4=None), Export(exported_on="27/11/2026")),
        guardians_xml(
            family_persons(
                P1=Person("P1", "MARTIN", "Sophie", mobile="06 99 88 77 66"),
                P2=Person(
                    "P2", "MARTIN", "Paul", civility="M.", mobile="07 81 23 45 67", accepts_sms="0"
                ),
            ),
            [link for link in new_format_links() if link.pupil_id != "E4"],
            Export(exported_on="27/11/2026"),
        ),
    )
    assert newer["pupils"] == {"created": 0, "updated": 0, "retired": 1, "unchanged": 2}
    assert newer["guardians"]["updated"] == 2
    lea = await pupil_named(api, "MARTIN")
    assert [r["id"] for r in lea["recipients"]] == [r["id"] for r in lea_before["recipients"]]
    assert eligibility(lea)[:2] == [
        ("Légal 1 - Financier", "Mme MARTIN Sophie", "+33699887766", None),
        ("Légal 2", "M. MARTIN Paul", "+33781234567", "opted_out"),
    ]
    assert await api.ok("GET", f"/api/v1/schools/{UAI}/pupils", params={"q": "petit"}) == []


async def test_a_retired_pupil_keeps_its_sms_history_but_is_offered_no_sms(api: Api) -> None:
    seeded = await seed_school(api)
    await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    jules = await pupil_named(api, "PETIT")
    lea = await pupil_named(api, "MARTIN")
    absence = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences",
        json={
            "pupil_id": lea["id"],
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T12:30:00+01:00",
        },
    )
    await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [lea["recipients"][0]["id"]]},
    )
    await run_import(
        api,
        pupils_xml(family_pupils(E1=None)),
        guardians_xml(family_persons(), [ln for ln in new_format_links() if ln.pupil_id != "E1"]),
    )
    history = await api.ok("GET", f"/api/v1/schools/{UAI}/absences/{absence['id']}")
    assert [h["recipient"] for h in history["history"]] == ["Légal 1 - Financier"]
    gone = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils/{lea['id']}")
    assert gone["retired"] is True and gone["sms_possible"] is False
    assert {r["ineligible_code"] for r in gone["recipients"]} == {"retired"}
    assert (await api.ok("GET", f"/api/v1/schools/{UAI}/pupils/{jules['id']}"))["retired"] is False


async def test_a_pupil_who_comes_back_is_current_again_with_the_same_record(api: Api) -> None:
    await create_school(api)
    guardians = guardians_xml(family_persons(), new_format_links())
    await run_import(api, pupils_xml(family_pupils()), guardians)
    jules = await pupil_named(api, "PETIT")
    await run_import(api, pupils_xml(family_pupils(E4=None)), guardians)
    back = await run_import(api, pupils_xml(family_pupils()), guardians)
    assert back["pupils"]["updated"] == 1
    assert (await pupil_named(api, "PETIT"))["id"] == jules["id"]


async def test_a_pupil_whose_siecle_id_changed_is_matched_by_national_id(api: Api) -> None:
    await create_school(api)
    guardians = guardians_xml(family_persons(), new_format_links())
    await run_import(api, pupils_xml(family_pupils()), guardians)
    lea = await pupil_named(api, "MARTIN")
    renamed = Pupil("E9", "MARTIN", "Léa", "3A", ine="111111111AA")
    summary = await run_import(api, pupils_xml(family_pupils(E1=renamed)), guardians)
    assert summary["pupils"]["retired"] == 0
    moved = await pupil_named(api, "MARTIN")
    assert (moved["id"], moved["division"]) == (lea["id"], "3A")


async def test_a_school_overseas_reads_national_numbers_with_its_region(api: Api) -> None:
    await create_school(api, territory="reunion", phone="0262 16 12 34")
    persons = [
        Person("P1", "HOARAU", "Marie", mobile="0692 12 34 56"),
        Person("P2", "HOARAU", "Jean", civility="M.", mobile="06 12 34 56 78"),
        Person("P3", "PAYET", "Rose", mobile="+262 693 11 22 33"),
        Person("P4", "PAYET", "Louis", civility="M.", mobile="0262 41 00 00"),
    ]
    links = [
        Link("R1", "P1", level=1, pays=True),
        Link("R1", "P2", level=1),
        Link("R1", "P3", level=3),
        Link("R1", "P4", level=3),
    ]
    await run_import(
        api, pupils_xml([Pupil("R1", "HOARAU", "Kévin", "6B")]), guardians_xml(persons, links)
    )
    assert eligibility(await pupil_named(api, "HOARAU")) == [
        ("Légal 1 - Financier", "Mme HOARAU Marie", "+262692123456", None),
        ("Légal 2", "M. HOARAU Jean", "+33612345678", None),
        ("Correspondant n°1", "Mme PAYET Rose", "+262693112233", None),
        ("Correspondant n°2", "M. PAYET Louis", None, "not_a_mobile"),
        ("Élève", "Kévin HOARAU", None, "no_mobile"),
    ]


async def test_guardians_sharing_a_number_are_both_eligible_and_get_one_sms(api: Api) -> None:
    seeded = await seed_school(api)
    await run_import(
        api, pupils_xml(family_pupils()), guardians_xml(family_persons(), new_format_links())
    )
    lea = await pupil_named(api, "MARTIN")
    absence = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences",
        json={
            "pupil_id": lea["id"],
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T12:30:00+01:00",
        },
    )
    legal1 = lea["recipients"][0]["id"]
    eloise = await pupil_named(api, "LECŒUR")
    assert eloise["recipients"][0]["mobile"] == lea["recipients"][0]["mobile"]
    created = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1]},
    )
    assert len(created["created"]) == 1

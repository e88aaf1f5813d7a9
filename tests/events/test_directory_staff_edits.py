"""Staff changes to the directory, and how later imports treat them: the staff's number stays and
the summary shows the imported one as a conflict; an opt-out from either side wins."""

from __future__ import annotations

from typing import Any

from events_support import create_school, error
from siecle_files import Link, Person, Pupil, guardians_xml, pupils_xml
from support.events_api import UAI, Api

IMPORT = f"/api/v1/schools/{UAI}/imports/siecle"
PUPILS = f"/api/v1/schools/{UAI}/pupils"


def export(sophie_mobile: str = "06 12 34 56 78", sophie_accepts: str = "1") -> list[Any]:
    pupils = [
        Pupil("E1", "MARTIN", "Léa", "4A"),
        Pupil("E2", "LECŒUR", "Éloïse", "3B"),
        Pupil("E3", "DUPONT", "Noé", "3B"),
    ]
    persons = [
        Person("P1", "MARTIN", "Sophie", mobile=sophie_mobile, accepts_sms=sophie_accepts),
        Person("P2", "MARTIN", "Paul", civility="M.", mobile="06 20 20 20 20"),
    ]
    links = [Link("E1", "P1", level=1, pays=True), Link("E1", "P2", level=1)]
    return [
        ("files", ("Eleves.xml", pupils_xml(pupils), "application/xml")),
        ("files", ("Responsables.xml", guardians_xml(persons, links), "application/xml")),
    ]


async def imported_lea(api: Api, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    summary = await api.ok("POST", IMPORT, files=export(**kwargs))
    [lea] = await api.ok("GET", PUPILS, params={"q": "léa martin"})
    return summary, await api.ok("GET", f"{PUPILS}/{lea['id']}")


async def patch(api: Api, pupil: dict[str, Any], index: int, **body: Any) -> dict[str, Any]:
    recipient = pupil["recipients"][index]
    path = f"{PUPILS}/{pupil['id']}/recipients/{recipient['id']}"
    answer: dict[str, Any] = await api.ok("PATCH", path, json=body)
    return answer


async def test_the_staffs_number_stays_and_the_imported_one_is_a_conflict(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    changed = await patch(api, lea, 0, mobile="07 81 23 45 67")
    assert changed["mobile"] == "+33781234567"
    summary, lea = await imported_lea(api)
    assert lea["recipients"][0]["mobile"] == "+33781234567"
    assert summary["changed"] is False
    [conflict] = summary["conflicts"]
    assert conflict == {
        "role_label": "Légal 1 - Financier",
        "name": "Mme MARTIN Sophie",
        "field": "mobile",
        "kept": "+33 7 ** ** ** 67",
        "imported": "+33 6 ** ** ** 78",
        "message": conflict["message"],
        "pupil": "MARTIN Léa (4A)",
    }


async def test_a_newer_imported_number_does_not_replace_the_staffs(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    await patch(api, lea, 0, mobile="07 81 23 45 67")
    summary, lea = await imported_lea(api, sophie_mobile="06 99 99 99 99")
    assert lea["recipients"][0]["mobile"] == "+33781234567"
    assert lea["recipients"][0]["imported"]["mobile_masked"] == "+33 6 ** ** ** 99"
    assert [c["imported"] for c in summary["conflicts"]] == ["+33 6 ** ** ** 99"]


async def test_a_staff_opt_out_survives_an_export_that_accepts(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    refused = await patch(api, lea, 0, accepts_sms=False)
    assert refused["ineligible_code"] == "opted_out"
    summary, lea = await imported_lea(api)
    assert lea["recipients"][0]["ineligible_code"] == "opted_out"
    assert [(c["field"], c["imported"]) for c in summary["conflicts"]] == [("accepts_sms", True)]


async def test_an_export_opt_out_wins_over_a_staff_opt_in(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    await patch(api, lea, 0, accepts_sms=True)
    _summary, lea = await imported_lea(api, sophie_accepts="0")
    assert lea["recipients"][0]["ineligible_code"] == "opted_out"
    assert lea["sms_possible"] is True  # Paul, Légal 2, still accepts


async def test_reset_to_import_follows_the_export_again(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    await patch(api, lea, 0, mobile=None)
    _summary, lea = await imported_lea(api)
    assert lea["recipients"][0]["ineligible_code"] == "no_mobile"
    reset = await patch(api, lea, 0, reset_to_import=True)
    assert (reset["mobile"], reset["eligible"]) == ("+33612345678", True)
    summary, _lea = await imported_lea(api)
    assert summary["conflicts"] == []


async def test_a_landline_typed_by_staff_is_refused(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    recipient = lea["recipients"][0]
    response = await api.call(
        "PATCH",
        f"{PUPILS}/{lea['id']}/recipients/{recipient['id']}",
        json={"mobile": "01 45 67 89 10"},
    )
    assert response.status_code == 422
    assert error(response)["code"] == "not_a_mobile"


async def test_an_unknown_field_in_a_recipient_change_is_refused(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    recipient = lea["recipients"][0]
    response = await api.call(
        "PATCH",
        f"{PUPILS}/{lea['id']}/recipients/{recipient['id']}",
        json={"telephone": "06 12 34 56 78"},
    )
    assert response.status_code == 422


async def test_staff_add_a_recipient_and_remove_another(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    added = await api.ok(
        "POST",
        f"{PUPILS}/{lea['id']}/recipients",
        json={
            "role_label": "correspondant 2",
            "name": "Mme ROUX",
            "mobile": "0655555555",
            "accepts_sms": True,
        },
    )
    assert [r["role_label"] for r in added["recipients"]][-1] == "Correspondant n°2"
    paul = lea["recipients"][1]
    await api.ok("DELETE", f"{PUPILS}/{lea['id']}/recipients/{paul['id']}")
    after = await api.ok("GET", f"{PUPILS}/{lea['id']}")
    assert paul["id"] not in [r["id"] for r in after["recipients"]]
    # A re-import keeps the staff's recipient and brings back the one SIECLE still lists.
    summary, lea = await imported_lea(api)
    assert summary["guardians"]["created"] == 1
    assert {r["name"] for r in lea["recipients"]} >= {"Mme ROUX", "M. MARTIN Paul"}


async def test_pupils_are_listed_by_division_and_found_by_name_without_accents(api: Api) -> None:
    await create_school(api)
    await imported_lea(api)
    in_3b = await api.ok("GET", PUPILS, params={"division": "3B"})
    assert [p["last_name"] for p in in_3b] == ["DUPONT", "LECŒUR"]
    assert [p["first_name"] for p in await api.ok("GET", PUPILS, params={"q": "eloise"})] == [
        "Éloïse"
    ]
    assert [p["first_name"] for p in await api.ok("GET", PUPILS, params={"q": "LECOEUR"})] == [
        "Éloïse"
    ]
    response = await api.call("GET", PUPILS, params={"page_size": 1})
    assert response.headers["x-total-count"] == "3"
    divisions = await api.ok("GET", f"/api/v1/schools/{UAI}/divisions")
    assert divisions == [{"division": "3B", "pupils": 2}, {"division": "4A", "pupils": 1}]


async def test_the_pupil_list_says_whether_an_sms_is_possible(api: Api) -> None:
    await create_school(api)
    await imported_lea(api)
    listed = {p["first_name"]: p["sms_possible"] for p in await api.ok("GET", PUPILS)}
    assert listed == {"Léa": True, "Éloïse": False, "Noé": False}


async def test_a_pupil_retired_by_staff_is_no_longer_listed(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    await api.ok("DELETE", f"{PUPILS}/{lea['id']}")
    assert [p["first_name"] for p in await api.ok("GET", PUPILS)] == ["Noé", "Éloïse"]
    gone = await api.ok("GET", f"{PUPILS}/{lea['id']}")
    assert gone["retired"] is True


async def test_each_import_and_edit_is_in_the_audit_trail_without_numbers(api: Api) -> None:
    await create_school(api)
    _summary, lea = await imported_lea(api)
    await patch(api, lea, 0, mobile="07 81 23 45 67")
    audit = await api.ok("GET", f"/api/v1/schools/{UAI}/audit")
    entries = audit["items"] if isinstance(audit, dict) else audit
    actions = [e["action"] for e in entries]
    assert actions[:2] == ["recipient.updated", "directory.imported"]
    assert "781234567" not in str(entries) and "7 81 23" not in str(entries)
    assert entries[0]["details"]["changed"] == ["mobile"]


async def test_a_pupil_typed_by_staff_is_left_alone_by_imports(api: Api) -> None:
    await create_school(api)
    typed = await api.ok(
        "POST",
        PUPILS,
        json={
            "last_name": "NOUVEAU",
            "first_name": "Arrivé",
            "division": "4A",
            "recipients": [{"role_label": "Légal 1", "mobile": "0640404040", "accepts_sms": True}],
        },
    )
    await imported_lea(api)
    await imported_lea(api)
    kept = await api.ok("GET", f"{PUPILS}/{typed['id']}")
    assert (kept["retired"], kept["source"], kept["sms_possible"]) == (False, "staff", True)
    assert "NOUVEAU" in [p["last_name"] for p in await api.ok("GET", PUPILS)]

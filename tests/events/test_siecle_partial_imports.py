"""One export at a time: the pupils file alone, the guardians file alone, an older export."""

from __future__ import annotations

from typing import Any

from events_support import create_school, error
from siecle_files import Export, Link, Person, Pupil, guardians_xml, pupils_xml
from support.events_api import UAI, Api

IMPORT = f"/api/v1/schools/{UAI}/imports/siecle"
PUPILS = [Pupil("E1", "MARTIN", "Léa", "4A", mobile="06 30 30 30 30", accepts_sms="1")]
PERSONS = [Person("P1", "MARTIN", "Sophie", mobile="06 12 34 56 78")]
LINKS = [Link("E1", "P1", level=1, pays=True)]


async def send(api: Api, name: str, data: bytes) -> Any:
    return await api.call("POST", IMPORT, files=[("files", (name, data, "application/xml"))])


async def lea(api: Api) -> dict[str, Any]:
    [found] = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils")
    pupil: dict[str, Any] = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils/{found['id']}")
    return pupil


async def test_a_guardians_export_before_any_pupils_export_is_refused(api: Api) -> None:
    await create_school(api)
    response = await send(api, "Resp.xml", guardians_xml(PERSONS, LINKS))
    assert response.status_code == 422
    assert error(response)["code"] == "pupils_first"


async def test_the_guardians_export_alone_completes_pupils_imported_before(api: Api) -> None:
    await create_school(api)
    assert (await send(api, "Eleves.xml", pupils_xml(PUPILS))).status_code == 200
    assert [r["role_label"] for r in (await lea(api))["recipients"]] == ["Élève"]
    summary = (await send(api, "Resp.xml", guardians_xml(PERSONS, LINKS))).json()
    assert summary["guardians"]["created"] == 1
    assert summary["pupils"] == {"created": 0, "updated": 0, "retired": 0, "unchanged": 0}
    assert [r["role_label"] for r in (await lea(api))["recipients"]] == [
        "Légal 1 - Financier",
        "Élève",
    ]


async def test_the_pupils_export_alone_leaves_the_guardians_as_they_are(api: Api) -> None:
    await create_school(api)
    await send(api, "Eleves.xml", pupils_xml(PUPILS))
    await send(api, "Resp.xml", guardians_xml(PERSONS, LINKS))
    opted_out = Pupil("E1", "MARTIN", "Léa", "4B", mobile="06 30 30 30 30", accepts_sms="0")
    summary = (await send(api, "Eleves.xml", pupils_xml([opted_out]))).json()
    assert summary["pupils"]["updated"] == 1
    assert summary["guardians"] == {"created": 0, "updated": 0, "retired": 0, "unchanged": 0}
    pupil = await lea(api)
    assert pupil["division"] == "4B"
    assert [(r["role_label"], r["ineligible_code"]) for r in pupil["recipients"]] == [
        ("Légal 1 - Financier", None),
        ("Élève", "opted_out"),
    ]


async def test_an_export_older_than_the_last_one_imported_is_reported(api: Api) -> None:
    await create_school(api)
    await send(api, "Eleves.xml", pupils_xml(PUPILS, Export(exported_on="20/11/2026")))
    summary = (
        await send(api, "Old.xml", pupils_xml(PUPILS, Export(exported_on="02/09/2026")))
    ).json()
    [older] = [a for a in summary["anomalies"] if a["code"] == "older_export"]
    assert older["file"] == "Old.xml"
    assert "02/09/2026" in older["message"] and "20/11/2026" in older["message"]


async def test_the_import_history_keeps_who_imported_what_and_the_summary(api: Api) -> None:
    await create_school(api)
    summary = (await send(api, "Eleves.xml", pupils_xml(PUPILS))).json()
    [run] = await api.ok("GET", f"/api/v1/schools/{UAI}/imports")
    assert (run["actor"], run["format"], run["school_year"]) == ("cpe", "siecle", 2026)
    assert run["pupils_exported_on"] == "2026-11-20"
    assert run["summary"]["import_id"] == summary["import_id"] == run["id"]
    assert run["summary"]["pupils"]["created"] == 1


async def test_a_pupil_in_two_divisions_keeps_the_first_and_is_reported(api: Api) -> None:
    await create_school(api)
    data = pupils_xml(PUPILS).replace(
        b"<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>",
        b"<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE><STRUCTURE><CODE_STRUCTURE>4Z"
        b"</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>",
    )
    summary = (await send(api, "Eleves.xml", data)).json()
    [anomaly] = summary["anomalies"]
    assert (anomaly["code"], anomaly["pupil"]) == ("several_divisions", "MARTIN Léa (4A)")
    assert (await lea(api))["division"] == "4A"

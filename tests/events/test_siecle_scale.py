"""A large lycée's exports go through the set-based writes in one import, and again unchanged."""

from __future__ import annotations

from events_support import create_school
from siecle_files import Link, Person, Pupil, guardians_xml, pupils_xml, zipped
from support.events_api import UAI, Api

IMPORT = f"/api/v1/schools/{UAI}/imports/siecle"
PUPILS = 1600


def exports() -> list[tuple[str, tuple[str, bytes, str]]]:
    pupils = [Pupil(f"E{i}", f"NOM{i:04d}", "Prénom", f"D{i % 40:02d}") for i in range(PUPILS)]
    persons, links = [], []
    for i in range(PUPILS):
        for j, pays in ((1, True), (2, False)):
            persons.append(
                Person(f"P{i}-{j}", f"NOM{i:04d}", f"Parent{j}", mobile=f"06{i:04d}{j:04d}")
            )
            links.append(Link(f"E{i}", f"P{i}-{j}", level=1, pays=pays))
    return [
        ("files", ("Eleves.zip", zipped(("Eleves.xml", pupils_xml(pupils))), "application/zip")),
        (
            "files",
            ("Resp.zip", zipped(("Resp.xml", guardians_xml(persons, links))), "application/zip"),
        ),
    ]


async def test_a_large_school_is_imported_then_re_imported_unchanged(api: Api) -> None:
    await create_school(api)
    files = exports()
    first = await api.ok("POST", IMPORT, files=files)
    assert first["pupils"]["created"] == PUPILS
    assert first["guardians"]["created"] == 2 * PUPILS
    response = await api.call("GET", f"/api/v1/schools/{UAI}/pupils", params={"division": "D07"})
    assert response.headers["x-total-count"] == str(PUPILS // 40)
    again = await api.ok("POST", IMPORT, files=files)
    assert again["changed"] is False
    assert again["guardians"]["unchanged"] == 2 * PUPILS

"""Files the SIECLE import refuses, each with the file, the line when known and the reason; a
refused import leaves the directory as it was."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from events_support import create_school, error, running_api
from siecle_files import DECLARATION, Export, Link, Person, Pupil, guardians_xml, pupils_xml, zipped
from support.events_api import UAI, Api

from events.domain.siecle_xml import MAX_UNCOMPRESSED_BYTES

IMPORT = f"/api/v1/schools/{UAI}/imports/siecle"
PUPILS = [Pupil("E1", "MARTIN", "Léa", "4A"), Pupil("E2", "PETIT", "Jules", "4B")]


def upload(*named: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in named]


async def refused(api: Api, *named: tuple[str, bytes], status: int = 422) -> dict[str, Any]:
    response = await api.call("POST", IMPORT, files=upload(*named))
    assert response.status_code == status, response.text
    return error(response)


async def test_another_schools_export_is_refused_naming_the_file_and_the_line(api: Api) -> None:
    await create_school(api)
    found = await refused(api, ("Eleves.xml", pupils_xml(PUPILS, Export(uai="0930002B"))))
    assert found["code"] == "wrong_school"
    assert found["line"] == 3
    assert found["message"] == (
        "Fichier Eleves.xml, ligne 3 : exportation de l'établissement 0930002B, pas de "
        "0750001A : importer les fichiers exportés de SIECLE pour cet établissement."
    )


async def test_a_zip_holding_two_files_is_refused(api: Api) -> None:
    await create_school(api)
    archive = zipped(("ElevesSansAdresses.xml", pupils_xml(PUPILS)), ("Nomenclature.xml", b"<x/>"))
    found = await refused(api, ("ExportXML_ElevesSansAdresses.zip", archive))
    assert found["code"] == "zip_member_count"
    assert "ExportXML_ElevesSansAdresses.zip" in found["message"]
    assert "2 fichiers" in found["message"]


async def test_a_zip_whose_content_exceeds_the_uncompressed_cap_is_refused(api: Api) -> None:
    await create_school(api)
    padding = b" " * (MAX_UNCOMPRESSED_BYTES + 1)
    bomb = zipped(("ElevesSansAdresses.xml", pupils_xml(PUPILS) + padding))
    assert len(bomb) < 200_000
    found = await refused(api, ("bombe.zip", bomb), status=413)
    assert found["code"] == "zip_too_large"
    assert found["message"].startswith("Fichier bombe.zip : le contenu décompressé dépasse")


async def test_a_zip_lying_about_its_size_is_refused(api: Api) -> None:
    await create_school(api)
    real = pupils_xml(PUPILS) + b" " * (MAX_UNCOMPRESSED_BYTES + 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", real)
    data = bytearray(buffer.getvalue())
    # Rewrite the declared uncompressed size (local header and central directory) to 1 000 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
    response = await api.call("POST", IMPORT, files=upload(("menteur.zip", bytes(data))))
    assert response.status_code in {413, 422}, response.text
    assert error(response)["code"] in {"zip_too_large", "bad_zip"}
    assert await api.ok("GET", f"/api/v1/schools/{UAI}/pupils") == []


async def test_an_xml_declaring_an_entity_is_refused(api: Api) -> None:
    await create_school(api)
    prolog = '<!DOCTYPE BEE_ELEVES [<!ENTITY rire "ha">]>\n'
    found = await refused(api, ("Eleves.xml", pupils_xml(PUPILS, prolog=prolog)))
    assert found["code"] == "xml_forbidden_construct"
    assert found["message"].startswith("Fichier Eleves.xml : déclaration DTD ou entité interdite")


async def test_a_truncated_xml_is_refused_with_its_line(api: Api) -> None:
    await create_school(api)
    whole = pupils_xml(PUPILS)
    found = await refused(api, ("Eleves.xml", whole[: len(whole) // 2]))
    assert found["code"] == "malformed_xml"
    assert found["line"] > 1
    assert f"ligne {found['line']}" in found["message"]
    assert "tronqué" in found["message"]


async def test_a_truncated_xml_inside_a_zip_names_the_archive_and_its_member(api: Api) -> None:
    await create_school(api)
    whole = pupils_xml(PUPILS)
    archive = zipped(("ElevesSansAdresses.xml", whole[:-40]))
    found = await refused(api, ("Export.zip", archive))
    assert found["message"].startswith("Fichier Export.zip › ElevesSansAdresses.xml, ligne")


async def test_a_file_that_is_not_a_siecle_export_is_refused(api: Api) -> None:
    await create_school(api)
    nomenclature = (DECLARATION + "<BEE_NOMENCLATURES></BEE_NOMENCLATURES>").encode("iso-8859-15")
    found = await refused(api, ("Nomenclature.xml", nomenclature))
    assert found["code"] == "not_a_siecle_export"
    assert "la nomenclature n'est pas nécessaire" in found["message"]


async def test_two_pupils_exports_in_one_import_are_refused(api: Api) -> None:
    await create_school(api)
    found = await refused(api, ("A.xml", pupils_xml(PUPILS)), ("B.xml", pupils_xml(PUPILS)))
    assert found["code"] == "same_export_twice"


async def test_exports_of_two_school_years_are_refused(api: Api) -> None:
    await create_school(api)
    found = await refused(
        api,
        ("Eleves.xml", pupils_xml(PUPILS, Export(school_year=2026))),
        ("Resp.xml", guardians_xml([], [], Export(school_year=2025))),
    )
    assert found["code"] == "school_year_mismatch"


async def test_a_refused_import_keeps_the_previous_directory(api: Api) -> None:
    await create_school(api)
    persons = [Person("P1", "MARTIN", "Sophie", mobile="06 12 34 56 78")]
    links = [Link("E1", "P1", level=1, pays=True)]
    await api.ok(
        "POST",
        IMPORT,
        files=upload(
            ("Eleves.xml", pupils_xml(PUPILS)), ("Resp.xml", guardians_xml(persons, links))
        ),
    )
    before = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils")
    # A valid pupils file (which alone would retire Jules) with a truncated guardians file.
    truncated = guardians_xml(persons, links)[:-60]
    await refused(api, ("Eleves.xml", pupils_xml(PUPILS[:1])), ("Resp.xml", truncated))
    assert await api.ok("GET", f"/api/v1/schools/{UAI}/pupils") == before
    history = await api.ok("GET", f"/api/v1/schools/{UAI}/imports")
    assert len(history) == 1


async def test_an_upload_over_the_size_limit_is_refused(isolation, topics) -> None:
    await topics()
    async with running_api(
        isolation, enable_schools_on_creation=True, import_max_bytes=2000
    ) as api:
        await create_school(api)
        found = await refused(api, ("Eleves.xml", pupils_xml(PUPILS * 20)), status=413)
        assert found["code"] == "file_too_large"
        assert found["message"] == "Fichier Eleves.xml : trop volumineux : 2 ko au plus."


async def test_a_request_without_a_file_is_refused(api: Api) -> None:
    await create_school(api)
    response = await api.call("POST", IMPORT, files=[], data={"x": "1"})
    assert response.status_code == 422
    assert error(response)["code"] == "no_file"

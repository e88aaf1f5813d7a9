"""The CSV export of "Suivi des SMS": what a French spreadsheet needs, and the list's filters."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from uuid import uuid4

from reporting_support import UAI, apply, day, requested, seed, status

EXPORT = f"/api/v1/schools/{UAI}/sms/export"


def parse(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


async def test_export_opens_in_a_french_spreadsheet(api) -> None:
    client, pool = api
    await seed(pool)
    response = await client.get(EXPORT, params={"tab": "delivered"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="suivi-sms-{UAI}-delivered.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    lines = body[3:].split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines), "CRLF line ends"
    assert lines[0].decode() == (
        "Action;Nom élève;Division;Evènement;Destinataire;Etat de diffusion;Etat;"
        "Date de l'état;Heure de l'état;Date de diffusion;N° de message;Motif;A vérifier"
    )
    assert parse(body)[1] == [
        "SMS",
        "LEFÈVRE Éloïse",
        "3A",
        "Absence Du 13/09/11 Au 13/09/11",
        "Légal 1 - Financier",
        "Msg 716578 - délivré - 12/09/2011 à 15:44",
        "délivré",
        "12/09/2011",
        "15:44",
        "12/09/2011",
        "716578",
        "",
        "",
    ]


async def test_export_holds_the_whole_filtered_list_in_page_order(api) -> None:
    client, pool = api
    s = await seed(pool)
    listed = (await client.get(f"/api/v1/schools/{UAI}/sms", params={"tab": "all"})).json()
    rows = parse((await client.get(EXPORT, params={"tab": "all"})).content)[1:]
    assert [r[5] for r in rows] == [i["status_line"] for i in listed["items"]]
    filtered = parse(
        (await client.get(EXPORT, params={"tab": "all", "action": "SMS relance"})).content
    )
    assert [r[0] for r in filtered[1:]] == ["SMS relance"]
    in_progress = parse((await client.get(EXPORT, params={"tab": "in_progress"})).content)[1:]
    marks = {r[6]: r[12] for r in in_progress}
    assert marks == {
        "à vérifier": "oui",
        "envoyé, sans accusé": "oui",
        "en attente d'envoi": "",
        "en transit": "",
    }
    assert s.other_school  # another school's SMS is never exported
    everything = (await client.get(EXPORT, params={"tab": "all"})).text
    assert "SECRET" not in everything


async def test_export_gives_the_reason_of_an_invalid_sms(api) -> None:
    client, pool = api
    await seed(pool)
    [row] = parse((await client.get(EXPORT, params={"tab": "invalid_or_undelivered"})).content)[1:]
    assert row[6] == "invalidé"
    assert row[11].startswith("Le numéro de téléphone du destinataire n'est pas valide")


async def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(api) -> None:
    client, pool = api
    sms_id = uuid4()
    await apply(
        pool,
        [
            requested(sms_id, pupil_name='=HYPERLINK("x")', division="+4B", diffused_at=day(0)),
            status(sms_id, "delivered", changed_at=day(0) + timedelta(minutes=1)),
        ],
    )
    [row] = parse((await client.get(EXPORT, params={"tab": "delivered"})).content)[1:]
    assert row[1] == '\'=HYPERLINK("x")'
    assert row[2] == "'+4B"


async def test_export_of_an_empty_list_is_the_header_alone(api) -> None:
    client, _ = api
    rows = parse((await client.get(EXPORT, params={"tab": "delivered"})).content)
    assert len(rows) == 1 and rows[0][0] == "Action"


async def test_export_refuses_paging_parameters_and_bad_filters(api) -> None:
    client, _ = api
    response = await client.get(EXPORT, params={"page": "2"})
    assert response.status_code == 422
    assert "Paramètre « page » : inconnu" in response.json()["detail"]["message"]
    response = await client.get(EXPORT, params={"from": "13/09/2011"})
    assert response.status_code == 422

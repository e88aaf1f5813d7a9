"""The CSV fallback: a documented header, one line per recipient, faulty lines named."""

from __future__ import annotations

from typing import Any

from events_support import create_school, error
from support.events_api import UAI, Api

IMPORT = f"/api/v1/schools/{UAI}/imports/csv"
HEADER = "identifiant;nom;prénom;division;qualité;destinataire;mobile;accepte_sms\n"
GOOD = (
    HEADER
    + "A1;MARTIN;Léa;4A;Légal 1 - Financier;Mme MARTIN;06 12 34 56 78;oui\n"
    + "A1;MARTIN;Léa;4A;legal 2;M. MARTIN;06 20 20 20 20;non\n"
    + "A1;MARTIN;Léa;4A;Élève;;06 30 30 30 30;1\n"
    + "A2;PETIT;Jules;4B;;;;\n"
)


async def send(api: Api, text: str, encoding: str = "utf-8") -> Any:
    files = [("file", ("annuaire.csv", text.encode(encoding), "text/csv"))]
    return await api.call("POST", IMPORT, files=files)


async def test_a_csv_creates_pupils_and_recipients_with_their_eligibility(api: Api) -> None:
    await create_school(api)
    response = await send(api, GOOD, "iso-8859-15")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["pupils"]["created"] == 2
    assert summary["guardians"]["created"] == 2
    [lea] = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils", params={"q": "léa"})
    pupil = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils/{lea['id']}")
    assert [(r["role_label"], r["name"], r["ineligible_code"]) for r in pupil["recipients"]] == [
        ("Légal 1 - Financier", "Mme MARTIN", None),
        ("Légal 2", "M. MARTIN", "opted_out"),
        ("Élève", "Léa MARTIN", None),
    ]


async def test_re_importing_the_same_csv_changes_nothing(api: Api) -> None:
    await create_school(api)
    await send(api, GOOD)
    again = (await send(api, GOOD)).json()
    assert again["changed"] is False
    assert again["pupils"]["unchanged"] == 2


async def test_a_pupil_missing_from_a_newer_csv_is_retired(api: Api) -> None:
    await create_school(api)
    await send(api, GOOD)
    newer = (await send(api, GOOD.replace("A2;PETIT;Jules;4B;;;;\n", ""))).json()
    assert newer["pupils"]["retired"] == 1
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/pupils")
    assert [p["first_name"] for p in listed] == ["Léa"]


async def test_every_faulty_line_is_named_and_nothing_is_imported(api: Api) -> None:
    await create_school(api)
    text = (
        HEADER
        + "A1;MARTIN;Léa;4A;Légal 1;Mme MARTIN;06 12 34 56 78;peut-être\n"
        + ";PETIT;Jules;4B;;;;\n"
        + "A3;ROUX;Zoé;4B;Légal 1;Mme ROUX;06 12 34 56 78;oui\n"
    )
    response = await send(api, text)
    assert response.status_code == 422
    found = error(response)
    assert found["code"] == "invalid_csv"
    assert found["message"].startswith("Fichier annuaire.csv, ligne 2 : accepte_sms doit valoir")
    assert [e["line"] for e in found["errors"]] == [2, 3]
    assert await api.ok("GET", f"/api/v1/schools/{UAI}/pupils") == []


async def test_a_wrong_header_is_refused_with_the_expected_one(api: Api) -> None:
    await create_school(api)
    response = await send(api, "nom;prenom;classe\nMARTIN;Léa;4A\n")
    assert response.status_code == 422
    assert HEADER.strip() in error(response)["message"]

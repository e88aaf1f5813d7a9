"""Bulk provisioning: the académie's CSV of schools, faulty lines reported, the others created."""

from __future__ import annotations

from events_support import enable, error, settings_of
from support.events_api import OTHER_UAI, UAI, Api

IMPORT = "/api/v1/academie/schools/import"
GOOD = (
    "UAI;nom;téléphone;adresse;territoire\n"
    f"{UAI};Collège Victor Hugo;01 40 00 00 00;1 rue Hugo, Paris;metropole\n"
    f"{OTHER_UAI};Lycée Leconte de Lisle;0262 16 12 34;Saint-Denis;reunion\n"
)


async def send(api: Api, text: str, encoding: str = "utf-8") -> dict:
    return await api.ok("POST", IMPORT, as_="academie", content=text.encode(encoding))


async def test_each_line_creates_a_school_with_its_territory(api: Api) -> None:
    answer = await send(api, GOOD)
    assert answer == {"created": [UAI, OTHER_UAI], "updated": [], "unchanged": [], "errors": []}
    school = await api.ok("GET", f"/api/v1/schools/{OTHER_UAI}", as_="academie")
    assert school["time_zone"] == "Indian/Reunion"
    assert school["address"] == "Saint-Denis"


async def test_a_faulty_line_is_reported_and_the_others_created(api: Api) -> None:
    text = (
        "UAI;nom;téléphone;adresse;territoire\n"
        f"{UAI};Collège Victor Hugo;01 40 00 00 00;;\n"
        "12345;Sans UAI;;;\n"
        "0750003C;Collège Lointain;;;atlantide\n"
        "0750004D;Collège Muet;12;;\n"
        "0750005E;;;;\n"
        f"{UAI};Doublon;;;\n"
        "0750006F;Trop;de;colonnes;ici;là\n"
    )
    answer = await send(api, text)
    assert answer["created"] == [UAI]
    reasons = {e["line"]: e["reason"] for e in answer["errors"]}
    assert reasons[3] == "UAI invalide : « 12345 » (7 chiffres suivis d'une lettre)."
    assert reasons[4].startswith("Territoire inconnu : « atlantide »")
    assert reasons[5] == "Numéro de téléphone de l'établissement invalide : 12."
    assert reasons[6] == "Nom de l'établissement manquant."
    assert reasons[7] == "UAI en double dans le fichier (déjà ligne 2)."
    assert reasons[8] == "Nombre de colonnes incorrect : 5 attendues, 6 trouvées."
    assert len(reasons) == 6


async def test_reimporting_the_same_file_changes_nothing(api: Api) -> None:
    await send(api, GOOD)
    published = len(await settings_of(api))
    answer = await send(api, GOOD)
    assert answer["unchanged"] == [UAI, OTHER_UAI] and answer["created"] == []
    assert len(await settings_of(api)) == published


async def test_a_reimport_keeps_the_green_light_and_the_sender_name(strict_api: Api) -> None:
    await send(strict_api, GOOD)
    await enable(strict_api, UAI)
    await strict_api.ok(
        "PUT",
        f"/api/v1/schools/{UAI}",
        as_="academie",
        json={"name": "Collège Victor Hugo", "phone": "01 40 00 00 00", "sender_name": "VH"},
    )
    await send(strict_api, GOOD.replace("1 rue Hugo", "2 rue Hugo"))
    school = await strict_api.ok("GET", f"/api/v1/schools/{UAI}")
    assert (school["sms_enabled"], school["sender_name"]) == (True, "VH")
    assert school["address"] == "2 rue Hugo, Paris"


async def test_comma_separated_iso_8859_15_is_read(api: Api) -> None:
    text = "uai,nom,telephone,adresse,territoire\n" + f"{UAI},Collège Émile Zola,,,\n"
    answer = await send(api, text, "iso-8859-15")
    assert answer["created"] == [UAI]
    school = await api.ok("GET", f"/api/v1/schools/{UAI}")
    assert school["name"] == "Collège Émile Zola"


async def test_a_file_without_the_header_is_refused(api: Api) -> None:
    response = await api.call(
        "POST", IMPORT, as_="academie", content=f"{UAI};Collège;;;\n".encode()
    )
    assert error(response) == {
        "code": "invalid_csv_header",
        "message": "En-tête du fichier incorrect (ligne 1) : "
        "attendu UAI;nom;téléphone;adresse;territoire.",
    }


async def test_an_oversized_file_is_refused(api: Api) -> None:
    limit = api.app.state.import_max_bytes
    body = GOOD + ("x" * 80 + "\n") * (limit // 80 + 1)
    response = await api.call("POST", IMPORT, as_="academie", content=body.encode())
    assert response.status_code in {413, 422}
    assert "volumineux" in response.text or response.status_code == 413


async def test_only_the_academie_imports(api: Api) -> None:
    response = await api.call("POST", IMPORT, content=GOOD.encode())
    assert response.status_code == 403

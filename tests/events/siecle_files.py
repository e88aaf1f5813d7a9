"""SIECLE exports built by the tests: pupils, guardians (both formats), ISO-8859-15, zipped or not.

Structure as in siecle-formats.md; every value is invented.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

DECLARATION = '<?xml version="1.0" encoding="ISO-8859-15"?>\n'


@dataclass
class Pupil:
    id: str
    last_name: str
    first_name: str
    division: str | None = "4A"
    ine: str | None = None
    left_on: str | None = None
    mobile: str | None = None
    accepts_sms: str = "0"
    # Files before 2016 have NOM instead of NOM_DE_FAMILLE / NOM_USAGE.
    old_name_field: bool = False


@dataclass
class Person:
    id: str
    last_name: str
    first_name: str
    civility: str = "MME"
    mobile: str | None = None
    accepts_sms: str = "1"
    landline: str | None = None


@dataclass
class Link:
    """A pupil ↔ person link: `level` (since 2018) or `resp_legal` (before)."""

    pupil_id: str
    person_id: str
    level: int | None = None
    pays: bool = False
    priority: bool = False
    resp_legal: int | None = None
    code_parente: str = "10"


@dataclass
class Export:
    uai: str = "0750001A"
    school_year: int = 2026
    exported_on: str = "20/11/2026"
    extra: dict[str, str] = field(default_factory=dict)


def _tag(name: str, value: str | None) -> str:
    return f"<{name}>{escape(value)}</{name}>" if value is not None else ""


def _parameters(export: Export) -> str:
    return (
        "<PARAMETRES>"
        + _tag("UAJ", export.uai)
        + _tag("ANNEE_SCOLAIRE", str(export.school_year))
        + _tag("DATE_EXPORT", export.exported_on)
        + _tag("HORODATAGE", f"{export.exported_on} 07:12:00")
        + "</PARAMETRES>\n"
    )


def pupils_xml(pupils: list[Pupil], export: Export | None = None, *, prolog: str = "") -> bytes:
    export = export or Export()
    lines = [DECLARATION, prolog, '<BEE_ELEVES VERSION="1.0">\n', _parameters(export)]
    lines.append("<DONNEES>\n<ELEVES>\n")
    for p in pupils:
        names = (
            _tag("NOM", p.last_name)
            if p.old_name_field
            else _tag("NOM_DE_FAMILLE", p.last_name) + _tag("NOM_USAGE", p.last_name)
        )
        lines.append(
            f'<ELEVE ELEVE_ID="{p.id}" ELENOET="{p.id}9">'
            + _tag("ID_NATIONAL", p.ine)
            + names
            + _tag("PRENOM", p.first_name)
            + _tag("DATE_NAISS", "01/02/2012")
            + _tag("CODE_SEXE", "2")
            + _tag("CODE_MEF", "10310019110")
            + _tag("DATE_ENTREE", "02/09/2024")
            + _tag("DATE_SORTIE", p.left_on)
            + _tag("TEL_PORTABLE", p.mobile)
            + _tag("ACCEPTE_SMS", p.accepts_sms)
            + "</ELEVE>\n"
        )
    lines.append("</ELEVES>\n<STRUCTURES>\n")
    for p in pupils:
        structures = (
            "<STRUCTURE><CODE_STRUCTURE>LATIN</CODE_STRUCTURE>"
            "<TYPE_STRUCTURE>G</TYPE_STRUCTURE></STRUCTURE>"
        )
        if p.division:
            structures += (
                "<STRUCTURE>"
                + _tag("CODE_STRUCTURE", p.division)
                + "<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>"
            )
        lines.append(f'<STRUCTURES_ELEVE ELEVE_ID="{p.id}">{structures}</STRUCTURES_ELEVE>\n')
    lines.append("</STRUCTURES>\n</DONNEES>\n</BEE_ELEVES>\n")
    return "".join(lines).encode("iso-8859-15")


def guardians_xml(persons: list[Person], links: list[Link], export: Export | None = None) -> bytes:
    export = export or Export()
    lines = [DECLARATION, "<BEE_RESPONSABLES>\n", _parameters(export), "<DONNEES>\n<PERSONNES>\n"]
    for p in persons:
        lines.append(
            f'<PERSONNE PERSONNE_ID="{p.id}">'
            + _tag("LC_CIVILITE", p.civility)
            + _tag("NOM_DE_FAMILLE", p.last_name)
            + _tag("NOM_USAGE", p.last_name)
            + _tag("PRENOM", p.first_name)
            + _tag("TEL_PERSONNEL", p.landline)
            + _tag("TEL_PORTABLE", p.mobile)
            + _tag("MEL", f"{p.first_name.lower()}@example.invalid")
            + _tag("ACCEPTE_SMS", p.accepts_sms)
            + _tag("ADRESSE_ID", f"A{p.id}")
            + "</PERSONNE>\n"
        )
    lines.append("</PERSONNES>\n<RESPONSABLES>\n")
    for link in links:
        if link.level is not None:
            details = (
                _tag("NIVEAU_RESPONSABILITE", str(link.level))
                + _tag("PAIE_FRAIS_SCOLAIRES", "1" if link.pays else "0")
                + _tag("HEBERGE_ELEVE", "1")
                + _tag("A_CONTACTER_EN_PRIORITE", "true" if link.priority else "false")
            )
        else:
            details = (
                _tag("RESP_LEGAL", str(link.resp_legal or 0))
                + _tag("RESP_FINANCIER", "1" if link.pays else "0")
                + _tag("PERS_PAIMENT", "1" if link.pays else "0")
                + _tag("PERS_CONTACT", "1" if link.priority else "0")
            )
        lines.append(
            "<RESPONSABLE_ELEVE>"
            + _tag("ELEVE_ID", link.pupil_id)
            + _tag("PERSONNE_ID", link.person_id)
            + details
            + _tag("CODE_PARENTE", link.code_parente)
            + "</RESPONSABLE_ELEVE>\n"
        )
    lines.append("</RESPONSABLES>\n<ADRESSES></ADRESSES>\n</DONNEES>\n</BEE_RESPONSABLES>\n")
    return "".join(lines).encode("iso-8859-15")


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()

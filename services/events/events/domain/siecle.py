"""The SIECLE "Base Élèves" exports: what every file holds, and the pupils (BEE_ELEVES).

What the SMS module keeps of them: each current pupil's name and division, and for each person who
may receive an SMS about the pupil (guardians, see siecle_guardians.py, and the pupil) the role
label the seed shows ("Légal 1 - Financier", "Légal 2", "Correspondant n°1", "Élève"), the mobile
number and the "accepte les SMS" flag. A structural fault refuses the file (`FileRefused`, with
its line); a faulty record is skipped or kept with an anomaly, reported in the import summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from events.domain.directory_phones import PhoneReading, read_mobile
from events.domain.siecle_xml import FileRefused, Node, XmlFile

PUPILS = "pupils"
GUARDIANS = "guardians"
ROOTS = {"BEE_ELEVES": PUPILS, "BEE_RESPONSABLES": GUARDIANS}
FILE_LABEL = {PUPILS: "élèves", GUARDIANS: "responsables"}

PUPIL_ROLE = "Élève"
PUPIL_KEY = "E"
PUPIL_POSITION = 50
CORRESPONDENT_POSITION = 10
_TRUE = {"1", "true", "oui", "o", "vrai", "y", "yes"}


@dataclass(frozen=True)
class Notice:
    """An anomaly or a skipped record, for the import summary."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    # The SIECLE ELEVE_ID the notice is about, resolved to the pupil's name in the summary.
    pupil_key: str | None = None


@dataclass(frozen=True)
class IncomingRecipient:
    key: str
    kind: str
    role_label: str
    name: str
    position: int
    phone: PhoneReading
    accepts_sms: bool
    line: int | None = None


@dataclass(frozen=True)
class IncomingPupil:
    key: str
    national_id: str | None
    last_name: str
    first_name: str
    division: str | None
    # The pupil's own number and opt-in ("Élève"); None when the source lists it as a recipient.
    own: IncomingRecipient | None
    line: int | None = None

    @property
    def display(self) -> str:
        where = f" ({self.division})" if self.division else ""
        return f"{self.last_name} {self.first_name}{where}"


@dataclass(frozen=True)
class Header:
    kind: str
    file: str
    uai: str
    school_year: int | None
    exported_on: date | None


@dataclass
class PupilsExport:
    header: Header
    pupils: list[IncomingPupil] = field(default_factory=list)
    skipped: list[Notice] = field(default_factory=list)
    anomalies: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    pupil_key: str
    recipient: IncomingRecipient


@dataclass
class GuardiansExport:
    header: Header
    links: list[Link] = field(default_factory=list)
    # Every person of the file: "P<PERSONNE_ID>" → (name, line), to report those linked to no pupil.
    persons: dict[str, tuple[str, int]] = field(default_factory=dict)
    skipped: list[Notice] = field(default_factory=list)
    anomalies: list[Notice] = field(default_factory=list)


def truthy(raw: str) -> bool:
    """SIECLE booleans: "1"/"0" in some sections, "true"/"false" in others; empty is false."""
    return raw.strip().lower() in _TRUE


def parse_date(raw: str) -> date | None:
    """dd/mm/yyyy, or None when empty; ValueError when present but unreadable."""
    text = raw.strip()
    if not text:
        return None
    return datetime.strptime(text, "%d/%m/%Y").date()


def read_header(xml: XmlFile, uai: str) -> Header:
    """The kind of export and its PARAMETRES; refuses another school's file."""
    kind = ROOTS.get(xml.root.tag)
    if kind is None:
        hint = (
            " (la nomenclature n'est pas nécessaire)" if xml.root.tag == "BEE_NOMENCLATURES" else ""
        )
        raise FileRefused(
            xml.name,
            "not_a_siecle_export",
            f"ce n'est pas une exportation SIECLE des élèves ni des responsables "
            f"(élément racine « {xml.root.tag} »){hint}.",
            line=xml.root.line,
        )
    params = xml.root.child("PARAMETRES")
    if params is None:
        raise FileRefused(xml.name, "missing_parameters", "section PARAMETRES absente.")
    uaj_node = params.child("UAJ")
    uaj = params.value("UAJ").upper()
    if not uaj:
        raise FileRefused(
            xml.name, "missing_uaj", "UAJ de l'établissement absent de PARAMETRES.", params.line
        )
    if uaj != uai.upper():
        raise FileRefused(
            xml.name,
            "wrong_school",
            f"exportation de l'établissement {uaj}, pas de {uai.upper()} : "
            "importer les fichiers exportés de SIECLE pour cet établissement.",
            line=uaj_node.line if uaj_node is not None else params.line,
        )
    year_text = params.value("ANNEE_SCOLAIRE")
    try:
        year = int(year_text) if year_text else None
    except ValueError:
        raise FileRefused(
            xml.name, "bad_school_year", f"ANNEE_SCOLAIRE illisible : « {year_text} ».", params.line
        ) from None
    try:
        exported_on = parse_date(params.value("DATE_EXPORT"))
    except ValueError:
        raise FileRefused(
            xml.name, "bad_export_date", "DATE_EXPORT illisible (jj/mm/aaaa attendu).", params.line
        ) from None
    return Header(kind, xml.name, uaj, year, exported_on)


def root_data(xml: XmlFile) -> Node:
    data = xml.root.child("DONNEES")
    if data is None:
        raise FileRefused(xml.name, "missing_data", "section DONNEES absente.", xml.root.line)
    return data


def required_attr(xml: XmlFile, node: Node, attr: str) -> str:
    value = node.attrs.get(attr, "").strip()
    if not value:
        raise FileRefused(
            xml.name, "missing_id", f"élément {node.tag} sans attribut {attr}.", line=node.line
        )
    return value


def last_name(node: Node) -> str:
    return node.value("NOM_USAGE") or node.value("NOM_DE_FAMILLE") or node.value("NOM")


def _divisions(xml: XmlFile, data: Node) -> tuple[dict[str, str], list[Notice]]:
    divisions: dict[str, str] = {}
    anomalies: list[Notice] = []
    structures = data.child("STRUCTURES")
    for entry in structures.all("STRUCTURES_ELEVE") if structures is not None else ():
        pupil_key = entry.attrs.get("ELEVE_ID", "").strip()
        codes = [
            s.value("CODE_STRUCTURE")
            for s in entry.all("STRUCTURE")
            if s.value("TYPE_STRUCTURE").upper() == "D" and s.value("CODE_STRUCTURE")
        ]
        if not pupil_key or not codes:
            continue
        if len(set(codes)) > 1:
            anomalies.append(
                Notice(
                    "several_divisions",
                    f"Rattaché(e) à plusieurs divisions ({', '.join(codes)}) : {codes[0]} retenue.",
                    xml.name,
                    entry.line,
                    pupil_key,
                )
            )
        divisions.setdefault(pupil_key, codes[0])
    return divisions, anomalies


def parse_pupils(xml: XmlFile, header: Header, region: str, today: date) -> PupilsExport:
    """Current pupils of BEE_ELEVES with their division and their own mobile / opt-in."""
    data = root_data(xml)
    export = PupilsExport(header)
    divisions, export.anomalies = _divisions(xml, data)
    pupils_node = data.child("ELEVES")
    seen: set[str] = set()
    for node in pupils_node.all("ELEVE") if pupils_node is not None else ():
        key = required_attr(xml, node, "ELEVE_ID")
        last, first = last_name(node), node.value("PRENOM")
        who = f"{last} {first}".strip() or f"ELEVE_ID {key}"
        if key in seen:
            export.anomalies.append(
                Notice(
                    "duplicate_pupil",
                    f"Élève {who} : ELEVE_ID {key} déjà présent plus haut, fiche ignorée.",
                    xml.name,
                    node.line,
                )
            )
            continue
        seen.add(key)
        try:
            left_on = parse_date(node.value("DATE_SORTIE"))
        except ValueError:
            left_on = None
            export.anomalies.append(
                Notice(
                    "bad_date",
                    f"Élève {who} : DATE_SORTIE illisible, élève considéré comme présent.",
                    xml.name,
                    node.line,
                )
            )
        if left_on is not None and left_on < today:
            export.skipped.append(
                Notice(
                    "departed",
                    f"Élève {who} sorti le {left_on:%d/%m/%Y}.",
                    xml.name,
                    node.line,
                )
            )
            continue
        if not last or not first:
            export.skipped.append(
                Notice(
                    "incomplete_pupil",
                    f"Élève {who} (ELEVE_ID {key}) sans nom ou sans prénom.",
                    xml.name,
                    node.line,
                )
            )
            continue
        own = IncomingRecipient(
            key=PUPIL_KEY,
            kind="pupil",
            role_label=PUPIL_ROLE,
            name=f"{first} {last}",
            position=PUPIL_POSITION,
            phone=read_mobile(node.value("TEL_PORTABLE"), region),
            accepts_sms=truthy(node.value("ACCEPTE_SMS")),
            line=node.line,
        )
        export.pupils.append(
            IncomingPupil(
                key=key,
                national_id=node.value("ID_NATIONAL") or None,
                last_name=last,
                first_name=first,
                division=divisions.get(key),
                own=own,
                line=node.line,
            )
        )
    return export

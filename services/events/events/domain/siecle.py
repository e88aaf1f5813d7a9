"""The SIECLE "Base Élèves" exports: pupils (BEE_ELEVES) and guardians (BEE_RESPONSABLES).

What the SMS module keeps of them: each current pupil's name and division, and for each person who
may receive an SMS about the pupil (guardians and the pupil) the role label the seed shows
("Légal 1 - Financier", "Légal 2", "Correspondant n°1", "Élève"), the mobile number and the
"accepte les SMS" flag. Both guardian formats are read: since 2018 `NIVEAU_RESPONSABILITE`
(1 représentant légal, 2 personne en charge, 3 contact) with `PAIE_FRAIS_SCOLAIRES`; before,
`RESP_LEGAL` (1, 2 or 0) with `RESP_FINANCIER` / `PERS_PAIMENT`.

Numbering is deterministic: legal representatives by declared rank (old format), then the one who
pays first, then by person id; the others become "Correspondant n°1, n°2…" (priority contacts
first). A structural fault refuses the file (`FileRefused`, with its line); a faulty record is
skipped or kept with an anomaly, reported in the import summary.
"""

from __future__ import annotations

from collections import defaultdict
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
_CIVILITIES = {"MME": "Mme", "M.": "M.", "M": "M.", "MLLE": "Mlle", "MR": "M."}


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


def _data(xml: XmlFile) -> Node:
    data = xml.root.child("DONNEES")
    if data is None:
        raise FileRefused(xml.name, "missing_data", "section DONNEES absente.", xml.root.line)
    return data


def _required_attr(xml: XmlFile, node: Node, attr: str) -> str:
    value = node.attrs.get(attr, "").strip()
    if not value:
        raise FileRefused(
            xml.name, "missing_id", f"élément {node.tag} sans attribut {attr}.", line=node.line
        )
    return value


def _last_name(node: Node) -> str:
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
    data = _data(xml)
    export = PupilsExport(header)
    divisions, export.anomalies = _divisions(xml, data)
    pupils_node = data.child("ELEVES")
    seen: set[str] = set()
    for node in pupils_node.all("ELEVE") if pupils_node is not None else ():
        key = _required_attr(xml, node, "ELEVE_ID")
        last, first = _last_name(node), node.value("PRENOM")
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


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    phone: PhoneReading
    accepts_sms: bool
    line: int


@dataclass(frozen=True)
class _Role:
    """One pupil ↔ person link with what its label depends on."""

    person: _Person
    legal: bool
    declared_rank: int
    pays: bool
    priority: bool
    level: int
    line: int

    def sort_key(self) -> tuple[int, bool, bool, int, str]:
        key = self.person.key
        return (
            self.declared_rank,
            not self.pays,
            not self.priority,
            self.level,
            key.zfill(20) if key.isdigit() else key,
        )


def _person(node: Node, key: str, region: str) -> _Person:
    civility = _CIVILITIES.get(node.value("LC_CIVILITE").upper(), node.value("LC_CIVILITE"))
    name = " ".join(p for p in (civility, _last_name(node), node.value("PRENOM")) if p)
    return _Person(
        key=key,
        name=name or f"PERSONNE_ID {key}",
        phone=read_mobile(node.value("TEL_PORTABLE"), region),
        accepts_sms=truthy(node.value("ACCEPTE_SMS")),
        line=node.line,
    )


def _int(raw: str, default: int) -> int:
    try:
        return int(raw)
    except ValueError:
        return default


def _role(link: Node, person: _Person) -> _Role:
    """Read a RESPONSABLE_ELEVE in either format."""
    if link.value("NIVEAU_RESPONSABILITE"):
        level = _int(link.value("NIVEAU_RESPONSABILITE"), 3)
        return _Role(
            person,
            legal=level == 1,
            declared_rank=0,
            pays=truthy(link.value("PAIE_FRAIS_SCOLAIRES")),
            priority=truthy(link.value("A_CONTACTER_EN_PRIORITE")),
            level=level,
            line=link.line,
        )
    rank = _int(link.value("RESP_LEGAL"), 0)
    return _Role(
        person,
        legal=rank in (1, 2),
        declared_rank=rank if rank in (1, 2) else 0,
        pays=truthy(link.value("RESP_FINANCIER")) or truthy(link.value("PERS_PAIMENT")),
        priority=truthy(link.value("PERS_CONTACT")),
        level=1 if rank in (1, 2) else 3,
        line=link.line,
    )


def label_roles(roles: list[_Role]) -> list[tuple[_Role, str, int]]:
    """Each link's label and position: "Légal n[ - Financier]" then "Correspondant n°k"."""
    labelled: list[tuple[_Role, str, int]] = []
    legal = sorted((r for r in roles if r.legal), key=_Role.sort_key)
    for number, role in enumerate(legal, start=1):
        label = f"Légal {number}" + (" - Financier" if role.pays else "")
        labelled.append((role, label, number))
    others = sorted((r for r in roles if not r.legal), key=_Role.sort_key)
    for number, role in enumerate(others, start=1):
        labelled.append((role, f"Correspondant n°{number}", CORRESPONDENT_POSITION + number))
    return labelled


def parse_guardians(xml: XmlFile, header: Header, region: str) -> GuardiansExport:
    """Persons of BEE_RESPONSABLES and their links to pupils, labelled as the seed shows them."""
    data = _data(xml)
    export = GuardiansExport(header)
    persons: dict[str, _Person] = {}
    persons_node = data.child("PERSONNES")
    for node in persons_node.all("PERSONNE") if persons_node is not None else ():
        key = _required_attr(xml, node, "PERSONNE_ID")
        persons.setdefault(key, _person(node, key, region))
    export.persons = {f"P{k}": (p.name, p.line) for k, p in persons.items()}
    by_pupil: dict[str, dict[str, _Role]] = defaultdict(dict)
    links_node = data.child("RESPONSABLES")
    for link in links_node.all("RESPONSABLE_ELEVE") if links_node is not None else ():
        pupil_key, person_key = link.value("ELEVE_ID"), link.value("PERSONNE_ID")
        if not pupil_key or not person_key:
            raise FileRefused(
                xml.name,
                "missing_id",
                "RESPONSABLE_ELEVE sans ELEVE_ID ou sans PERSONNE_ID.",
                line=link.line,
            )
        person = persons.get(person_key)
        if person is None:
            export.skipped.append(
                Notice(
                    "unknown_person",
                    f"Lien vers la personne {person_key}, absente de PERSONNES.",
                    xml.name,
                    link.line,
                )
            )
            continue
        if person_key in by_pupil[pupil_key]:
            export.anomalies.append(
                Notice(
                    "duplicate_link",
                    f"{person.name} rattaché(e) deux fois au même élève : "
                    "le premier lien est gardé.",
                    xml.name,
                    link.line,
                    pupil_key,
                )
            )
            continue
        by_pupil[pupil_key][person_key] = _role(link, person)
    for pupil_key, roles in by_pupil.items():
        export.anomalies.extend(_legal_anomalies(xml, pupil_key, list(roles.values())))
        for role, label, position in label_roles(list(roles.values())):
            export.links.append(
                Link(
                    pupil_key,
                    IncomingRecipient(
                        key=f"P{role.person.key}",
                        kind="guardian",
                        role_label=label,
                        name=role.person.name,
                        position=position,
                        phone=role.person.phone,
                        accepts_sms=role.person.accepts_sms,
                        line=role.line,
                    ),
                )
            )
    return export


def _legal_anomalies(xml: XmlFile, pupil_key: str, roles: list[_Role]) -> list[Notice]:
    firsts = [r for r in roles if r.declared_rank == 1]
    legal = [r for r in roles if r.legal]
    if len(firsts) > 1:
        names = " et ".join(r.person.name for r in sorted(firsts, key=_Role.sort_key))
        return [
            Notice(
                "two_legal_1",
                f"Deux responsables « Légal 1 » ({names}) : numérotés Légal 1 et Légal 2, "
                "à corriger dans SIECLE.",
                xml.name,
                firsts[1].line,
                pupil_key,
            )
        ]
    if len(legal) > 2:
        return [
            Notice(
                "too_many_legal",
                f"{len(legal)} représentants légaux déclarés : numérotés de Légal 1 à "
                f"Légal {len(legal)}.",
                xml.name,
                legal[2].line,
                pupil_key,
            )
        ]
    return []

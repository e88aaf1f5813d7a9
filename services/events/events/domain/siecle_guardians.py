"""Guardians in the SIECLE export BEE_RESPONSABLES: persons, their links to pupils, role labels.

Both formats are read: since 2018 `NIVEAU_RESPONSABILITE` (1 représentant légal, 2 personne en
charge, 3 contact) with `PAIE_FRAIS_SCOLAIRES` and `A_CONTACTER_EN_PRIORITE`; before, `RESP_LEGAL`
(1, 2 or 0) with `RESP_FINANCIER` / `PERS_PAIMENT` and `PERS_CONTACT`. Numbering is deterministic:
legal representatives by declared rank (old format), then the one who pays first, then by person
id; the others become "Correspondant n°1, n°2…", priority contacts first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from events.domain.directory_phones import PhoneReading, read_mobile
from events.domain.siecle import (
    CORRESPONDENT_POSITION,
    GuardiansExport,
    Header,
    IncomingRecipient,
    Link,
    Notice,
    last_name,
    required_attr,
    root_data,
    truthy,
)
from events.domain.siecle_xml import FileRefused, Node, XmlFile

_CIVILITIES = {"MME": "Mme", "M.": "M.", "M": "M.", "MLLE": "Mlle", "MR": "M."}


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
    name = " ".join(p for p in (civility, last_name(node), node.value("PRENOM")) if p)
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
    data = root_data(xml)
    export = GuardiansExport(header)
    persons: dict[str, _Person] = {}
    persons_node = data.child("PERSONNES")
    for node in persons_node.all("PERSONNE") if persons_node is not None else ():
        key = required_attr(xml, node, "PERSONNE_ID")
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

"""The directory as a CSV, for schools that cannot export from SIECLE.

One line per recipient of a pupil (a pupil with no recipient: one line with the last four columns
empty), `;` or `,` separated, UTF-8 or ISO-8859-15, a header line naming the columns (any order;
accents, case and spaces ignored):

    identifiant;nom;prénom;division;qualité;destinataire;mobile;accepte_sms

`identifiant` is the pupil's stable id in the school's own records (re-importing the same file
changes nothing; a pupil missing from a newer file is retired). `qualité` is the role shown to
staff ("Légal 1 - Financier", "Légal 2", "Correspondant n°1", "Élève"); `accepte_sms` is
oui/non (or 1/0). A faulty line refuses the whole file, every faulty line named with its reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from events.domain.directory_phones import read_mobile
from events.domain.errors import DomainError
from events.domain.school_csv import decode
from events.domain.siecle import (
    CORRESPONDENT_POSITION,
    PUPIL_POSITION,
    PUPIL_ROLE,
    IncomingPupil,
    IncomingRecipient,
    Link,
)

HEADER = "identifiant;nom;prénom;division;qualité;destinataire;mobile;accepte_sms"
COLUMNS = (
    "identifiant",
    "nom",
    "prenom",
    "division",
    "qualite",
    "destinataire",
    "mobile",
    "accepte_sms",
)
REQUIRED = ("identifiant", "nom", "prenom")
MAX_LINES = 30_000
MAX_ERRORS_LISTED = 50
_YES = {"oui", "o", "1", "true", "vrai", "x"}
_NO = {"non", "n", "0", "false", "faux", ""}
_LEGAL = re.compile(r"^legal\s*(\d)(\s*-\s*financier)?$")
_CORRESPONDENT = re.compile(r"^correspondant\s*(?:n\s*°|no|n)?\s*(\d+)$")


@dataclass(frozen=True)
class CsvDirectory:
    pupils: list[IncomingPupil]
    links: list[Link]


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _column(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", _bare(name))


def role(raw: str) -> tuple[str, str, int]:
    """ "legal 1 - financier" → ("Légal 1 - Financier", "guardian", 1); free text is kept."""
    bare = re.sub(r"\s+", " ", _bare(raw))
    if bare in {"eleve", "l'eleve"}:
        return PUPIL_ROLE, "pupil", PUPIL_POSITION
    legal = _LEGAL.match(bare)
    if legal:
        rank = int(legal.group(1))
        return f"Légal {rank}" + (" - Financier" if legal.group(2) else ""), "guardian", rank
    correspondent = _CORRESPONDENT.match(bare)
    if correspondent:
        rank = int(correspondent.group(1))
        return f"Correspondant n°{rank}", "guardian", CORRESPONDENT_POSITION + rank
    return raw.strip(), "guardian", 30


def parse(name: str, data: bytes, region: str) -> CsvDirectory:
    """The pupils and their recipients, or a `DomainError` listing every faulty line."""
    text = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise DomainError("empty_csv", f"Fichier {name} vide : en-tête attendu {HEADER}.")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    errors: list[dict[str, object]] = []
    pupils: dict[str, IncomingPupil] = {}
    links: list[Link] = []
    roles: set[tuple[str, str]] = set()
    for fields in reader:
        number = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = _header(name, fields, number)
            continue
        if number > MAX_LINES:
            raise DomainError(
                "csv_too_long", f"Fichier {name} : {MAX_LINES} lignes au plus par import."
            )
        if len(fields) > len(header):
            errors.append({"line": number, "reason": "plus de colonnes que l'en-tête."})
            continue
        row = dict(zip(header, (f.strip() for f in fields), strict=False))
        reason = _line(row, number, region, pupils, links, roles)
        if reason:
            errors.append({"line": number, "reason": reason})
    if header is None:
        raise DomainError("empty_csv", f"Fichier {name} vide : en-tête attendu {HEADER}.")
    if errors:
        first_error = errors[0]
        raise DomainError(
            "invalid_csv",
            f"Fichier {name}, ligne {first_error['line']} : {first_error['reason']} "
            f"({len(errors)} ligne(s) en erreur, rien n'a été importé.)",
            file=name,
            errors=errors[:MAX_ERRORS_LISTED],
        )
    return CsvDirectory(list(pupils.values()), links)


def _header(name: str, fields: list[str], number: int) -> list[str]:
    header = [_column(f) for f in fields]
    unknown = [f for f, h in zip(fields, header, strict=True) if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise DomainError(
            "invalid_csv_header",
            f"Fichier {name}, ligne {number} : en-tête incorrect, attendu {HEADER}.",
            file=name,
            line=number,
        )
    return header


def _line(
    row: dict[str, str],
    number: int,
    region: str,
    pupils: dict[str, IncomingPupil],
    links: list[Link],
    roles: set[tuple[str, str]],
) -> str | None:
    key, last, first = row.get("identifiant", ""), row.get("nom", ""), row.get("prenom", "")
    if not key or not last or not first:
        return "identifiant, nom et prénom sont obligatoires."
    if len(key) > 60 or len(last) > 100 or len(first) > 100:
        return "identifiant (60), nom ou prénom (100 caractères) trop long."
    division = row.get("division") or None
    known = pupils.get(key)
    if known is None:
        pupils[key] = IncomingPupil(key, None, last, first, division, None, number)
    elif (known.last_name, known.first_name, known.division) != (last, first, division):
        return (
            f"l'identifiant {key} désigne déjà un autre élève ou une autre division "
            f"(ligne {known.line})."
        )
    quality = row.get("qualite", "")
    recipient, mobile = row.get("destinataire", ""), row.get("mobile", "")
    accepts = _bare(row.get("accepte_sms", ""))
    if not quality:
        if recipient or mobile or accepts not in _NO:
            return "qualité du destinataire manquante (Légal 1, Correspondant n°1, Élève…)."
        return None
    if accepts not in _YES | _NO:
        return f"accepte_sms doit valoir oui ou non, pas « {row.get('accepte_sms')} »."
    label, kind, position = role(quality)
    if len(label) > 60 or len(recipient) > 200:
        return "qualité (60) ou destinataire (200 caractères) trop long."
    if (key, label) in roles:
        return f"l'élève {key} a déjà un destinataire « {label} »."
    roles.add((key, label))
    if kind == "pupil" and not recipient:
        recipient = f"{first} {last}"
    links.append(
        Link(
            key,
            IncomingRecipient(
                key=_bare(label),
                kind=kind,
                role_label=label,
                name=recipient,
                position=position,
                phone=read_mobile(mobile, region),
                accepts_sms=accepts in _YES,
                line=number,
            ),
        )
    )
    return None

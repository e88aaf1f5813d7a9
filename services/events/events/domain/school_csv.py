"""Reading the académie's CSV of schools: UAI;nom;téléphone;adresse;territoire.

`;` or `,` separated, UTF-8 (with or without BOM) or ISO-8859-15, one header line naming the
columns (any order; accents and case ignored). Each faulty line is reported with its line number
and a French reason; the others are returned to be created.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from events.domain.errors import DomainError

COLUMNS = ("uai", "nom", "telephone", "adresse", "territoire")
REQUIRED = ("uai", "nom")
EXPECTED_HEADER = "UAI;nom;téléphone;adresse;territoire"
_UAI_RE = re.compile(r"^\d{7}[A-Z]$")


@dataclass(frozen=True)
class SchoolLine:
    line: int
    uai: str
    name: str
    # None: the column is absent from the file (the school keeps its value).
    phone: str | None
    address: str | None
    territory: str | None
    columns: frozenset[str]


@dataclass(frozen=True)
class LineError:
    line: int
    uai: str | None
    reason: str


def decode(data: bytes) -> str:
    """UTF-8 when it decodes as such, ISO-8859-15 otherwise (every byte string decodes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("iso-8859-15")


def _column(name: str) -> str:
    bare = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(c for c in bare if not unicodedata.combining(c))


def parse(data: bytes) -> tuple[list[SchoolLine], list[LineError]]:
    text = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise DomainError("empty_csv", f"Le fichier est vide : en-tête attendu {EXPECTED_HEADER}.")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    lines: list[SchoolLine] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for fields in reader:
        number = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [_column(f) for f in fields]
            unknown = [f for f in header if f not in COLUMNS]
            missing = [c for c in REQUIRED if c not in header]
            if unknown or missing or len(set(header)) != len(header):
                raise DomainError(
                    "invalid_csv_header",
                    f"En-tête du fichier incorrect (ligne {number}) : attendu {EXPECTED_HEADER}.",
                )
            continue
        if len(fields) != len(header):
            errors.append(
                LineError(
                    number,
                    None,
                    f"Nombre de colonnes incorrect : {len(header)} attendues, "
                    f"{len(fields)} trouvées.",
                )
            )
            continue
        row = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        uai = row["uai"].upper()
        if not _UAI_RE.fullmatch(uai):
            reason = f"UAI invalide : « {row['uai']} » (7 chiffres suivis d'une lettre)."
            errors.append(LineError(number, row["uai"] or None, reason))
            continue
        if uai in seen:
            reason = f"UAI en double dans le fichier (déjà ligne {seen[uai]})."
            errors.append(LineError(number, uai, reason))
            continue
        seen[uai] = number
        if not row["nom"]:
            errors.append(LineError(number, uai, "Nom de l'établissement manquant."))
            continue
        if len(row["nom"]) > 200 or len(row.get("adresse", "")) > 500:
            errors.append(LineError(number, uai, "Nom ou adresse trop long."))
            continue
        lines.append(
            SchoolLine(
                line=number,
                uai=uai,
                name=row["nom"],
                phone=row.get("telephone"),
                address=row.get("adresse"),
                territory=row.get("territoire"),
                columns=frozenset(header),
            )
        )
    if header is None:
        raise DomainError("empty_csv", f"Le fichier est vide : en-tête attendu {EXPECTED_HEADER}.")
    return lines, errors

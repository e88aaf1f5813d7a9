"""The operators a school may choose ("Fournisseur de services") and what each form field means.

The académie keeps the list (code, name, dialect, API base URL, contacts); the dialects are what
the platform knows how to speak, each with the meaning of the seed's four form fields. The
simulator is offered only where the deployment's profile allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from events.domain.errors import DomainError
from shared.operators.digitaleo import FORM_FIELDS as DIGITALEO_FIELDS
from shared.operators.envoyersmspro import FORM_FIELDS as ENVOYERSMSPRO_FIELDS
from shared.operators.pluriware import FORM_FIELDS as PLURIWARE_FIELDS

SIMULATOR_CODE = "SIMULATEUR"


@dataclass(frozen=True)
class ProviderEntry:
    code: str
    name: str
    dialect: str
    email: str | None
    phone: str | None
    website: str | None
    base_url: str
    fields: dict[str, str] = field(default_factory=dict)
    retired: bool = False


# The seed's form (Clé d'identification, Mot de passe, Option 1, Option 2) for each dialect the
# platform speaks, as each adapter reads them. A dialect is code: adding one means writing its
# adapter in shared/operators.
DIALECT_FIELDS: dict[str, dict[str, str]] = {
    "digitaleo": dict(DIGITALEO_FIELDS),
    "pluriware": dict(PLURIWARE_FIELDS),
    "envoyersmspro": dict(ENVOYERSMSPRO_FIELDS),
    "simulator": {
        "key": "Identifiant du compte simulé",
        "password": "Mot de passe du compte simulé",
        "option1": "Non utilisé",
        "option2": "Non utilisé",
    },
}


def dialects(*, allow_simulator: bool) -> list[str]:
    """The dialects an operator entry may name in this deployment."""
    return sorted(d for d in DIALECT_FIELDS if allow_simulator or d != "simulator")


def entry(row: dict[str, Any]) -> ProviderEntry:
    """An operator entry from its stored row, with its dialect's form field meanings."""
    return ProviderEntry(
        code=row["code"],
        name=row["name"],
        dialect=row["dialect"],
        email=row["email"],
        phone=row["phone"],
        website=row["website"],
        base_url=row["base_url"],
        fields=dict(DIALECT_FIELDS.get(row["dialect"], {})),
        retired=row["retired_at"] is not None,
    )


def simulator_entry(base_url: str) -> ProviderEntry:
    return ProviderEntry(
        code=SIMULATOR_CODE,
        name="Simulateur d'opérateur (hors production)",
        dialect="simulator",
        email=None,
        phone=None,
        website=None,
        base_url=base_url,
        fields=dict(DIALECT_FIELDS["simulator"]),
    )


_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,29}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_operator(
    values: dict[str, Any], *, allow_simulator: bool, require_https: bool
) -> dict[str, Any]:
    """An operator entry as the académie typed it, validated field by field (French messages)."""
    code = (values.get("code") or "").strip().upper()
    if not _CODE.match(code):
        raise DomainError(
            "invalid_operator_code",
            "Code opérateur invalide : 2 à 30 lettres majuscules, chiffres ou « _ », "
            "commençant par une lettre.",
            field="code",
        )
    if code == SIMULATOR_CODE:
        raise DomainError(
            "reserved_operator_code", "Ce code est réservé au simulateur.", field="code"
        )
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError("operator_name_required", "Le nom de l'opérateur est obligatoire.")
    dialect = values.get("dialect")
    known = dialects(allow_simulator=allow_simulator)
    if dialect not in known:
        raise DomainError(
            "unknown_dialect",
            f"Dialecte inconnu : la plateforme sait parler {', '.join(known)}. "
            "Un nouveau dialecte demande une évolution du logiciel.",
            field="dialect",
            dialects=known,
        )
    base_url = (values.get("base_url") or "").strip().rstrip("/")
    parts = urlsplit(base_url)
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed or not parts.netloc:
        raise DomainError(
            "invalid_base_url",
            "Adresse de l'API invalide : une URL "
            + ("https://… est exigée." if require_https else "http(s)://… est attendue."),
            field="base_url",
        )
    email = (values.get("email") or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise DomainError("invalid_email", "Adresse électronique invalide.", field="email")
    website = (values.get("website") or "").strip() or None
    if website is not None and urlsplit(website).scheme not in ("http", "https"):
        raise DomainError(
            "invalid_website", "Site web invalide : une URL http(s)://… est attendue."
        )
    phone = (values.get("phone") or "").strip() or None
    return {
        "code": code,
        "name": name,
        "dialect": dialect,
        "base_url": base_url,
        "email": email,
        "phone": phone,
        "website": website,
    }

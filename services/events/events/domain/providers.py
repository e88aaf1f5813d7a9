"""The operators a school may choose ("Fournisseur de services") and what each form field means.

An entry names one of the coded dialects plus its URLs and contacts. The simulator is offered
only where the deployment's profile allows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


CERTIFIED = (
    ProviderEntry(
        code="DIGITALEO",
        name="DIGITALEO",
        dialect="digitaleo",
        email="sconet@digitaleo.com",
        phone="02 56 036 700",
        website="http://www.digitaleo.com",
        base_url="https://api.digitaleo.com",
        fields={
            "key": "Identifiant client OAuth2 (client_id)",
            "password": "Secret client OAuth2 (client_secret)",
            "option1": "Non utilisé",
            "option2": "Non utilisé",
        },
    ),
    ProviderEntry(
        code="PLURIWARE",
        name="PLURIWARE",
        dialect="pluriware",
        email="contact@eplesms.fr",
        phone="03 25 78 41 64",
        website="http://www.eplesms.fr",
        base_url="https://www.eplesms.fr",
        fields={
            "key": "Identifiant du compte EPLE SMS",
            "password": "Mot de passe du compte",
            "option1": "Non utilisé",
            "option2": "Non utilisé",
        },
    ),
    ProviderEntry(
        code="ENVOYERSMSPRO",
        name="Envoyer SMS Pro",
        dialect="envoyersmspro",
        email="contact@envoyersmspro.com",
        phone="04 13 41 52 80",
        website="http://www.envoyersmspro.com",
        base_url="https://www.envoyersmspro.com",
        fields={
            "key": "Identifiant (ou clé d'API)",
            "password": "Mot de passe",
            "option1": "Non utilisé",
            "option2": "Non utilisé",
        },
    ),
)


def simulator_entry(base_url: str) -> ProviderEntry:
    return ProviderEntry(
        code="SIMULATEUR",
        name="Simulateur d'opérateur (hors production)",
        dialect="simulator",
        email=None,
        phone=None,
        website=None,
        base_url=base_url,
        fields={
            "key": "Identifiant du compte simulé",
            "password": "Mot de passe du compte simulé",
            "option1": "Non utilisé",
            "option2": "Non utilisé",
        },
    )


def catalog(*, allow_simulator: bool, simulator_base_url: str) -> list[ProviderEntry]:
    """The operators offered to schools in this deployment."""
    entries = list(CERTIFIED)
    if allow_simulator:
        entries.append(simulator_entry(simulator_base_url))
    return entries

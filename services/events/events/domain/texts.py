"""Rendering an SMS action's text for one absence, and the labels the seed shows."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from events.domain.errors import DomainError

DEFAULT_TEMPLATE = (
    "{etablissement} : nous vous informons de l'absence de {eleve} le {debut}. "
    "Merci de contacter la vie scolaire au {telephone}."
)
PLACEHOLDERS = frozenset({"etablissement", "eleve", "debut", "fin", "telephone", "division"})


def check_template(template: str) -> None:
    """Refuse a template naming an unknown placeholder, or malformed."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        raise DomainError(
            "invalid_template", "Le modèle de message est mal formé (accolades)."
        ) from None
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise DomainError(
            "invalid_template",
            "Le modèle de message utilise des champs inconnus : "
            + ", ".join("{" + n + "}" for n in unknown)
            + ". Champs possibles : "
            + ", ".join("{" + n + "}" for n in sorted(PLACEHOLDERS))
            + ".",
        )


@dataclass(frozen=True)
class AbsenceFacts:
    school_name: str
    school_phone: str | None
    pupil_name: str
    division: str | None
    starts_at: datetime
    ends_at: datetime
    time_zone: str


def local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone))


def render(template: str, facts: AbsenceFacts, contact_phone: str | None) -> str:
    start = local(facts.starts_at, facts.time_zone)
    end = local(facts.ends_at, facts.time_zone)
    return template.format(
        etablissement=facts.school_name,
        eleve=facts.pupil_name,
        debut=start.strftime("%d/%m/%Y à %H:%M"),
        fin=end.strftime("%d/%m/%Y à %H:%M"),
        telephone=contact_phone or facts.school_phone or "",
        division=facts.division or "",
    ).strip()


def event_label(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """As in "SMS à diffuser": "Absence du 29/05/12 08:30 au 29/05/12 12:30"."""
    start = local(starts_at, time_zone)
    end = local(ends_at, time_zone)
    return f"Absence du {start:%d/%m/%y %H:%M} au {end:%d/%m/%y %H:%M}"

"""Rendering an SMS action's text for one absence, and the labels the seed shows."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.domain.errors import DomainError
from shared.sms_text import TextInfo, analyse, gsm7_replacements, to_gsm7

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


def facts_of(school: dict[str, Any], absence: dict[str, Any]) -> AbsenceFacts:
    """The facts a text is rendered from: the school as it is, the absence and its pupil."""
    return AbsenceFacts(
        school_name=school["name"],
        school_phone=school["phone"],
        pupil_name=f"{absence['first_name']} {absence['last_name']}",
        division=absence["division"],
        starts_at=absence["starts_at"],
        ends_at=absence["ends_at"],
        time_zone=school["time_zone"],
    )


@dataclass(frozen=True)
class Composed:
    """The text an SMS is sent with, and what it costs."""

    text: str
    info: TextInfo
    transliterated: bool


def compose(
    template: str, facts: AbsenceFacts, contact_phone: str | None, *, transliterate: bool
) -> Composed:
    """Render the action's text; with `transliterate`, its GSM-7 likeness (ê→e, ç→c, œ→oe)."""
    text = render(template, facts, contact_phone)
    if transliterate:
        text = to_gsm7(text)
    return Composed(text, analyse(text), transliterate)


def figures(text: str) -> dict[str, Any]:
    """What the preview shows of a text: encoding, characters, units, segments."""
    info = analyse(text)
    return {
        "text": text,
        "encoding": info.encoding,
        "characters": info.characters,
        "units": info.units,
        "segments": info.segments,
        "remaining": info.remaining,
    }


def preview_figures(text: str) -> dict[str, Any]:
    """The rendered text's figures, and those of its GSM-7 transliteration when it differs."""
    gsm7 = None
    replacements = gsm7_replacements(text)
    if replacements:
        gsm7 = {
            **figures(to_gsm7(text)),
            "replacements": [{"from": a, "to": b} for a, b in replacements],
        }
    return {"original": figures(text), "gsm7": gsm7}


def event_label(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """As in "SMS à diffuser": "Absence du 29/05/12 08:30 au 29/05/12 12:30"."""
    start = local(starts_at, time_zone)
    end = local(ends_at, time_zone)
    return f"Absence du {start:%d/%m/%y %H:%M} au {end:%d/%m/%y %H:%M}"

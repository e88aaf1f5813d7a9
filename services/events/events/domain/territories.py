"""Territories: each sets a school's time zone, phone region and the month its school year starts.

Sources and assumptions (the académie administrator may override any of the three per school):
- Time zones are the IANA zones of each territory; French Polynesia is given Pacific/Tahiti,
  which holds for Tahiti and the Society, Tuamotu and Austral islands (the Marquesas and Gambier
  differ by half an hour and an hour: override per school).
- Phone regions are the ISO 3166 codes that `phonenumbers` knows (checked by a test), used to read
  numbers written in national form ("0690…" in Guadeloupe).
- School-year start month: the national school calendar (arrêtés fixing the calendar, and each
  vice-rectorat's own for the Pacific). Metropolitan France, Corsica, Guyane and
  Saint-Pierre-et-Miquelon start in early September. Guadeloupe, Martinique, Saint-Barthélemy and
  Saint-Martin start in the last days of August or the first of September depending on the
  year; La Réunion, Mayotte and French Polynesia start in mid or late August: those are given
  August, since no school day falls in August before the rentrée, so an August start never puts
  the old year's absences in the new one. New Caledonia and Wallis-et-Futuna follow the southern
  calendar: the year starts in mid-February (assumption for Wallis-et-Futuna, whose vice-rectorat
  aligns on New Caledonia; override per school if it changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from events.domain.errors import DomainError


@dataclass(frozen=True)
class Territory:
    code: str
    name: str
    time_zone: str
    phone_region: str
    school_year_start_month: int


TERRITORIES: dict[str, Territory] = {
    t.code: t
    for t in (
        Territory("metropole", "France métropolitaine", "Europe/Paris", "FR", 9),
        Territory("guadeloupe", "Guadeloupe", "America/Guadeloupe", "GP", 8),
        Territory("martinique", "Martinique", "America/Martinique", "MQ", 8),
        Territory("guyane", "Guyane", "America/Cayenne", "GF", 9),
        Territory("reunion", "La Réunion", "Indian/Reunion", "RE", 8),
        Territory("mayotte", "Mayotte", "Indian/Mayotte", "YT", 8),
        Territory("nouvelle-caledonie", "Nouvelle-Calédonie", "Pacific/Noumea", "NC", 2),
        Territory("polynesie", "Polynésie française", "Pacific/Tahiti", "PF", 8),
        Territory(
            "saint-pierre-et-miquelon", "Saint-Pierre-et-Miquelon", "America/Miquelon", "PM", 9
        ),
        Territory("wallis-et-futuna", "Wallis-et-Futuna", "Pacific/Wallis", "WF", 2),
        Territory("saint-barthelemy", "Saint-Barthélemy", "America/St_Barthelemy", "BL", 8),
        Territory("saint-martin", "Saint-Martin", "America/Marigot", "MF", 8),
    )
}


def territory(code: str) -> Territory:
    """The territory named `code` (case and surrounding spaces ignored), or a French refusal."""
    found = TERRITORIES.get(code.strip().lower())
    if found is None:
        raise DomainError(
            "unknown_territory",
            f"Territoire inconnu : « {code} ». Territoires possibles : "
            + ", ".join(TERRITORIES)
            + ".",
        )
    return found

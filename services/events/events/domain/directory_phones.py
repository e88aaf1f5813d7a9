"""Mobile numbers of the directory: an import never refuses a number, it records why it is unusable.

French overseas departments and collectivities of the Caribbean and the Indian Ocean share the
national numbering plan with metropolitan France: from La Réunion, "06 12 34 56 78" reaches a
metropolitan mobile and "0690 12 34 56" a Guadeloupe one. A national form is read with the school's
region first, then with the other regions of that shared plan. New Caledonia, French Polynesia,
Wallis-et-Futuna and Saint-Pierre-et-Miquelon have their own plans: only their region is tried.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from events.domain.errors import DomainError
from events.domain.phones import normalise_mobile

SHARED_PLAN = ("FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF")

NOT_A_MOBILE = "not_a_mobile"
INVALID_NUMBER = "invalid_number"


@dataclass(frozen=True)
class PhoneReading:
    """What a directory holds for one number: the E.164 mobile, or why there is none."""

    mobile: str | None
    problem: str | None
    raw: str | None


def read_mobile(raw: str | None, region: str) -> PhoneReading:
    """Read a number as typed in SIECLE, a CSV or a form; never raises."""
    text = (raw or "").strip()
    if not text:
        return PhoneReading(None, None, None)
    regions = (
        [region, *(r for r in SHARED_PLAN if r != region)] if region in SHARED_PLAN else [region]
    )
    problem = INVALID_NUMBER
    for candidate in regions:
        try:
            return PhoneReading(normalise_mobile(text, candidate), None, text)
        except DomainError as exc:
            if exc.code == "not_a_mobile":
                problem = NOT_A_MOBILE
                # A valid landline of the school's own region is what was meant.
                if candidate == region:
                    break
    return PhoneReading(None, problem, text)


def require_mobile(raw: str | None, region: str) -> str | None:
    """A number staff type: None when empty, the E.164 mobile, or a French refusal."""
    reading = read_mobile(raw, region)
    if reading.problem == NOT_A_MOBILE:
        raise DomainError(
            "not_a_mobile", "Ce numéro n'est pas un mobile : il ne peut pas recevoir de SMS."
        )
    if reading.problem == INVALID_NUMBER:
        raise DomainError("invalid_phone", "Numéro de téléphone invalide.")
    return reading.mobile


def mask_mobile(e164: str | None) -> str | None:
    """ "+33612345678" → "+33 6 ** ** ** 78"; "+590690123456" → "+590 6 ** ** ** 56"."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "***"
    national = str(number.national_number)
    if len(national) < 4:
        return "***"
    return f"+{number.country_code} {national[0]} ** ** ** {national[-2:]}"

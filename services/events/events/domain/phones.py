"""Mobile numbers: whatever staff type or SIECLE holds, stored and sent as E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from events.domain.errors import DomainError

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(raw: str, region: str) -> str:
    """ "06 12 34 56 78", "0033 6…", "33612345678" or "+33612345678" → "+33612345678".

    National forms are read with the school's region; a landline is not an SMS recipient.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.isdigit() and len(text) > 10:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise DomainError("invalid_phone", "Numéro de téléphone illisible.") from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("invalid_phone", "Numéro de téléphone invalide.")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise DomainError(
            "not_a_mobile", "Ce numéro n'est pas un mobile : il ne peut pas recevoir de SMS."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

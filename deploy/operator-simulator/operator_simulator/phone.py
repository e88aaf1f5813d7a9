"""Recipient numbers: the E.164 check the operator applies, and the mask used in logs."""

from __future__ import annotations

import re

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(number: str) -> bool:
    return _E164.fullmatch(number) is not None


def mask(number: str) -> str:
    """Keep the first four and the last two characters: ``+33639980001`` → ``+336******01``."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]

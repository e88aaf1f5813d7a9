"""How many SMS parts a text takes: GSM 03.38 (7-bit) when every character allows it, else UCS-2."""

from __future__ import annotations

import math

# GSM 03.38 default alphabet, in table order, without the escape code (0x1B).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as escape + character, so it counts double.
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def count_segments(text: str) -> int:
    """Parts an operator bills for `text` (at least 1).

    A simplification real operators do not make: an extension character (or a surrogate pair) may
    straddle two parts here, where a real encoder would move it to the next part.
    """
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        # Characters beyond the Basic Multilingual Plane (emoji) take a UTF-16 surrogate pair.
        units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, part = UCS2_SINGLE, UCS2_PART
    if units <= single:
        return 1
    return math.ceil(units / part)

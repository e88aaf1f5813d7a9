"""SMS text rules: GSM 03.38 or UCS-2, character count, segments, and a meaning-keeping
transliteration to GSM-7 (ê→e, ç→c, œ→oe) so a message stays in one or few segments."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# GSM 03.38 basic character set (the ESC slot excluded) and its extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

Encoding = Literal["GSM-7", "UCS-2"]

# Septets (GSM-7) or UTF-16 code units (UCS-2) in one SMS, and in each part of a split one (the
# user data header of a concatenated SMS takes the rest).
SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}

# Replacements that keep a French text readable in GSM-7. Accented letters GSM-7 holds (é è ù
# à ì ò É Ç Ä Ö Ñ Ü ä ö ñ ü) are kept; the others lose their accent, ligatures are spelt out.
_TRANSLITERATIONS = {
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
}


@dataclass(frozen=True)
class TextInfo:
    encoding: Encoding
    characters: int  # as the user counts them
    units: int  # septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2)
    segments: int
    remaining: int = 0  # units still free in the last segment


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` has a GSM 03.38 encoding (basic or extension)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _costs(text: str, encoding: Encoding) -> Iterable[int]:
    if encoding == "GSM-7":
        return (2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return (2 if ord(ch) > 0xFFFF else 1 for ch in text)


def analyse(text: str) -> TextInfo:
    """Encoding, length and number of SMS parts of `text`.

    A split message never cuts an extension character's escape pair (GSM-7) nor a surrogate
    pair (UCS-2, e.g. an emoji) across two parts, so a part may hold one unit less than its size.
    """
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    costs = list(_costs(text, encoding))
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return TextInfo(encoding, len(text), units, 1, SINGLE[encoding] - units)
    part = PART[encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return TextInfo(encoding, len(text), units, segments, part - used)


def to_gsm7(text: str) -> str:
    """The closest GSM-7 text: known replacements, then accents dropped where GSM-7 lacks them
    (ê→e, â→a, È→E…); a character with no GSM-7 likeness becomes "?"."""
    return "".join(_gsm7_of(ch) for ch in text)


def gsm7_replacements(text: str) -> list[tuple[str, str]]:
    """The characters `to_gsm7` replaces in `text`, each once, in order: [("ê", "e"), …]."""
    seen: dict[str, str] = {}
    for ch in text:
        if ch not in seen and not (ch in GSM7_BASIC or ch in GSM7_EXTENSION):
            seen[ch] = _gsm7_of(ch)
    return list(seen.items())


def _gsm7_of(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in _TRANSLITERATIONS:
        return _TRANSLITERATIONS[ch]
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    if base != ch and base in GSM7_BASIC:
        return base
    return "?"

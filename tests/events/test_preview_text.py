"""SMS text figures: GSM-7 or UCS-2, characters, segments, and the GSM-7 transliteration."""

from __future__ import annotations

import pytest

from shared.sms_text import analyse, gsm7_replacements, to_gsm7


def test_a_short_plain_text_is_one_gsm7_segment() -> None:
    info = analyse("Absence de Léa MARTIN le 30/11/2026 à 08:30.")
    assert (info.encoding, info.characters, info.units, info.segments) == ("GSM-7", 44, 44, 1)
    assert info.remaining == 160 - 44


@pytest.mark.parametrize(("length", "segments"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm7_holds_160_characters_then_153_per_part(length: int, segments: int) -> None:
    info = analyse("a" * length)
    assert info.encoding == "GSM-7"
    assert info.segments == segments


def test_extension_characters_count_double() -> None:
    assert analyse("€" * 80).units == 160
    assert analyse("€" * 80).segments == 1
    info = analyse("[1] {2} ~|^\\" + "€")
    assert info.encoding == "GSM-7"
    assert info.characters == 13
    assert info.units == 13 + 9


def test_an_extension_character_is_never_cut_between_two_parts() -> None:
    # 306 septets would fit two parts of 153, but the first € does not fit in the first part.
    info = analyse("a" * 152 + "€" * 77)
    assert info.units == 306
    assert info.segments == 3


@pytest.mark.parametrize("character", ["ê", "ç", "œ", "â", "î", "ô", "û", "ë", "ï", "È"])
def test_one_french_character_outside_gsm7_switches_to_ucs2(character: str) -> None:
    info = analyse("Bonjour, " + character)
    assert info.encoding == "UCS-2"


@pytest.mark.parametrize("character", ["é", "è", "ù", "à", "É", "Ç", "ì", "ò"])
def test_french_letters_of_gsm7_keep_gsm7(character: str) -> None:
    assert analyse("Bonjour, " + character).encoding == "GSM-7"


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_holds_70_units_then_67_per_part(length: int, segments: int) -> None:
    info = analyse("ê" * length)
    assert (info.encoding, info.units, info.segments) == ("UCS-2", length, segments)


def test_an_emoji_takes_two_ucs2_units_and_is_never_cut() -> None:
    assert analyse("😀").units == 2
    assert analyse("😀").characters == 1
    info = analyse("a" * 66 + "😀" * 34)
    assert info.units == 134
    assert info.segments == 3


def test_transliteration_keeps_the_meaning_and_the_gsm7_accents() -> None:
    text = "Œuvre : ça, être à l'école où l'élève dîne, forêt « sûre » – noël…"
    gsm7 = to_gsm7(text)
    assert gsm7 == "OEuvre : ca, etre à l'école où l'élève dine, foret \" sure \" - noel..."
    assert analyse(gsm7).encoding == "GSM-7"


def test_transliteration_lists_each_replaced_character_once() -> None:
    assert gsm7_replacements("forêt, fenêtre, ça, œil, été") == [
        ("ê", "e"),
        ("ç", "c"),
        ("œ", "oe"),
    ]
    assert gsm7_replacements("été à l'école") == []


def test_a_character_without_gsm7_likeness_becomes_a_question_mark() -> None:
    assert to_gsm7("Bravo 😀 ✓") == "Bravo ? ?"

"""Segment counting and number masking, without HTTP."""

from __future__ import annotations

import pytest

from operator_simulator.phone import is_e164, mask
from operator_simulator.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments


def test_gsm7_tables_have_the_standard_sizes() -> None:
    assert (len(GSM7_BASIC), len(GSM7_EXTENSION)) == (127, 10)


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é è ù ì ò à É Ç", 1),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("ç" * 70, 1),
        ("ç" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
        ("🙂" * 35, 1),
        ("🙂" * 36, 2),
    ],
)
def test_segments(text: str, segments: int) -> None:
    assert count_segments(text) == segments


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+33639980001", True),
        ("+262692123456", True),
        ("+1234567", True),
        ("0639980001", False),
        ("33639980001", False),
        ("+0639980001", False),
        ("+33 6 39 98 00 01", False),
        ("+336399800011234567", False),
        ("+33639980001\n", False),
        ("+٣٣٦٣٩٩٨٠٠٠١", False),
    ],
)
def test_e164(number: str, valid: bool) -> None:
    assert is_e164(number) is valid


def test_mask_keeps_only_the_prefix_and_the_last_two_digits() -> None:
    assert mask("+33639980001") == "+336******01"
    assert mask("+1234") == "*****"

"""The rules behind an absence: what "justified" means, the seed's "AUCUN", a sound period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.domain.absences import check_period, clean_label, is_justified
from events.domain.errors import DomainError

START = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "  ", "AUCUN", "Aucun", " aucun "])
def test_an_empty_value_or_aucun_is_none(value: str | None) -> None:
    assert clean_label(value) is None


def test_a_label_is_kept_trimmed() -> None:
    assert clean_label("  Certificat médical ") == "Certificat médical"


@pytest.mark.parametrize(
    ("absence", "justified"),
    [
        ({"evidence": None, "reason_legitimate": False}, False),
        ({"evidence": "AUCUN", "reason_legitimate": False}, False),
        ({"evidence": None, "reason": "Maladie", "reason_legitimate": False}, False),
        ({"evidence": "Certificat médical", "reason_legitimate": False}, True),
        ({"evidence": None, "reason": "Maladie", "reason_legitimate": True}, True),
    ],
)
def test_justified_means_a_justificatif_or_a_legitimate_motif(
    absence: dict[str, object], justified: bool
) -> None:
    assert is_justified(absence) is justified


def test_a_period_may_be_a_single_instant() -> None:
    check_period(START, START)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "words"),
    [
        (START, START - timedelta(minutes=1), "précède son début"),
        (START.replace(tzinfo=None), START.replace(tzinfo=None), "fuseau horaire"),
        (START, START + timedelta(days=400), "un an"),
    ],
)
def test_an_unsound_period_is_refused_in_french(
    starts_at: datetime, ends_at: datetime, words: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check_period(starts_at, ends_at)
    assert words in refused.value.message

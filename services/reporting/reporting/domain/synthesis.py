"""The "Synthèse SMS": delivered and total per action and month, month totals, year total."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reporting.domain.school_year import (
    YEAR_TOTAL_LABEL,
    SchoolYear,
    month_key,
    month_label,
    month_total_label,
)


@dataclass(frozen=True)
class MonthlyCount:
    """One counter row: the SMS of one action diffused in one month."""

    month: date
    action_code: str
    action_label: str
    delivered: int
    total: int


@dataclass(frozen=True)
class SynthesisLine:
    """A line of the table: one action in one month, a month's total, or the year's total."""

    label: str
    delivered: int
    total: int
    month: date | None = None
    action_code: str | None = None

    @property
    def month_key(self) -> str | None:
        return month_key(self.month) if self.month else None

    @property
    def month_label(self) -> str | None:
        return month_label(self.month) if self.month else None


@dataclass(frozen=True)
class Synthesis:
    school_year: SchoolYear
    rows: list[SynthesisLine]  # label = the action's label
    months: list[SynthesisLine]  # label = "Total septembre"
    year: SynthesisLine  # label = "Total Annuel"


def build_synthesis(year: SchoolYear, counts: Iterable[MonthlyCount]) -> Synthesis:
    """The synthesis of `year` from its counter rows; months without any SMS are left out."""
    months = set(year.months())
    return summarise(year, (c for c in counts if c.month in months))


def summarise(year: SchoolYear, counts: Iterable[MonthlyCount]) -> Synthesis:
    """The synthesis of counter rows already chosen for `year` (the académie's schools each
    bring the months of their own school year)."""
    kept = sorted(
        (c for c in counts if c.total > 0),
        key=lambda c: (c.month, c.action_label, c.action_code),
    )
    rows = [
        SynthesisLine(c.action_label, c.delivered, c.total, c.month, c.action_code) for c in kept
    ]
    totals: dict[date, list[int]] = {}
    for c in kept:
        acc = totals.setdefault(c.month, [0, 0])
        acc[0] += c.delivered
        acc[1] += c.total
    month_lines = [
        SynthesisLine(month_total_label(m), delivered, total, m)
        for m, (delivered, total) in sorted(totals.items())
    ]
    year_line = SynthesisLine(
        YEAR_TOTAL_LABEL,
        sum(line.delivered for line in month_lines),
        sum(line.total for line in month_lines),
    )
    return Synthesis(year, rows, month_lines, year_line)


@dataclass(frozen=True)
class SchoolVolume:
    """One school in the académie's roll-up: its SMS of the period and how many arrived."""

    uai: str
    delivered: int
    total: int

    @property
    def delivery_rate(self) -> float | None:
        """Delivered over total, None when the school sent nothing."""
        return self.delivered / self.total if self.total else None


@dataclass(frozen=True)
class AcademieSynthesis:
    synthesis: Synthesis  # every school together, rows per action label and month
    schools: list[SchoolVolume]  # by volume, largest first


def by_volume(schools: Iterable[SchoolVolume]) -> list[SchoolVolume]:
    """Largest total first; equal totals by UAI, so that the order never changes."""
    return sorted((s for s in schools if s.total > 0), key=lambda s: (-s.total, s.uai))

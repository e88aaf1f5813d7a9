"""School years and the French labels of months, as the "Synthèse SMS" shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_START_MONTH = 9  # September, unless the school says otherwise in sms.requested
DEFAULT_TIME_ZONE = "Europe/Paris"

MONTH_NAMES_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class SchoolYear:
    """Twelve months from the school's start month of `start_year`."""

    start_year: int
    start_month: int = DEFAULT_START_MONTH

    @property
    def first_month(self) -> date:
        return date(self.start_year, self.start_month, 1)

    @property
    def end(self) -> date:
        """The first day after the school year (exclusive bound)."""
        return add_months(self.first_month, 12)

    def months(self) -> list[date]:
        """The first day of each of its twelve months, in order."""
        return [add_months(self.first_month, i) for i in range(12)]

    @property
    def label(self) -> str:
        """ "2011-2012"; a school year that starts in January is a calendar year: "2011"."""
        if self.start_month == 1:
            return str(self.start_year)
        return f"{self.start_year}-{self.start_year + 1}"


def calendar_year(year: int) -> SchoolYear:
    """January to December of `year`, the option next to the school year."""
    return SchoolYear(year, 1)


def school_year_of(day: date, start_month: int = DEFAULT_START_MONTH) -> int:
    """The starting year of the school year `day` belongs to."""
    return day.year if day.month >= start_month else day.year - 1


def month_key(month: date) -> str:
    """ "2011-09" """
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """ "09/2011", as in the synthesis' "Date" column."""
    return f"{month.month:02d}/{month.year:04d}"


def month_total_label(month: date) -> str:
    """ "Total septembre" """
    return f"Total {MONTH_NAMES_FR[month.month - 1]}"


YEAR_TOTAL_LABEL = "Total Annuel"

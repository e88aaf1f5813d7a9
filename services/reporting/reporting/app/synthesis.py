"""The "Synthèse SMS" of one school year (or calendar year), for a school and for the académie."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from reporting.adapters.report_repository import AcademieRepository, ReportRepository
from reporting.adapters.scope import academie_transaction, school_transaction
from reporting.domain.school_year import (
    DEFAULT_START_MONTH,
    DEFAULT_TIME_ZONE,
    SchoolYear,
    calendar_year,
    school_year_of,
)
from reporting.domain.synthesis import (
    AcademieSynthesis,
    Synthesis,
    build_synthesis,
    by_volume,
    summarise,
)


async def school_synthesis(
    pool: asyncpg.Pool[Any],
    uai: str,
    school_year: int | None,
    *,
    now: datetime,
    year: int | None = None,
) -> Synthesis:
    """Delivered and total SMS per action and month of a school year (the current one if None),
    or of the calendar year `year` when given.

    The school year starts in the month the school's latest sms.requested gave (September for a
    school that never diffused an SMS). Reads the monthly counters only: at most 12 × actions
    rows, whatever the number of SMS.
    """
    async with school_transaction(pool, uai, readonly=True) as conn:
        repo = ReportRepository(conn)
        time_zone, start_month = await repo.school_calendar(uai) or (
            DEFAULT_TIME_ZONE,
            DEFAULT_START_MONTH,
        )
        if year is not None:
            period = calendar_year(year)
        else:
            if school_year is None:
                local_today = now.astimezone(ZoneInfo(time_zone)).date()
                school_year = school_year_of(local_today, start_month)
            period = SchoolYear(school_year, start_month)
        counts = await repo.monthly_counts(uai, period.first_month, period.end)
    return build_synthesis(period, counts)


async def academie_synthesis(
    pool: asyncpg.Pool[Any],
    school_year: int | None,
    *,
    now: datetime,
    year: int | None = None,
) -> AcademieSynthesis:
    """The synthesis of every school together, and each school's volume and delivery rate.

    For a school year, each school brings the twelve months of its own school year (its
    territory's start month); the default is the current school year in metropolitan France.
    """
    if year is not None:
        period, forced_start = calendar_year(year), 1
    else:
        if school_year is None:
            local_today = now.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date()
            school_year = school_year_of(local_today, DEFAULT_START_MONTH)
        period, forced_start = SchoolYear(school_year, DEFAULT_START_MONTH), None
    async with academie_transaction(pool, reason="academie synthesis") as conn:
        repo = AcademieRepository(conn)
        counts = await repo.monthly_counts(period.start_year, forced_start, DEFAULT_START_MONTH)
        volumes = await repo.school_volumes(period.start_year, forced_start, DEFAULT_START_MONTH)
    return AcademieSynthesis(summarise(period, counts), by_volume(volumes))

"""The "Synthèse SMS" of one school year."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from reporting.adapters.report_repository import ReportRepository
from reporting.adapters.scope import school_transaction
from reporting.domain.school_year import (
    DEFAULT_START_MONTH,
    DEFAULT_TIME_ZONE,
    SchoolYear,
    school_year_of,
)
from reporting.domain.synthesis import Synthesis, build_synthesis


async def school_synthesis(
    pool: asyncpg.Pool[Any], uai: str, school_year: int | None, *, now: datetime
) -> Synthesis:
    """Delivered and total SMS per action and month of a school year (the current one if None).

    The school year starts in the month the school's latest sms.requested gave (September for a
    school that never diffused an SMS).
    """
    async with school_transaction(pool, uai, readonly=True) as conn:
        repo = ReportRepository(conn)
        time_zone, start_month = await repo.school_calendar(uai) or (
            DEFAULT_TIME_ZONE,
            DEFAULT_START_MONTH,
        )
        if school_year is None:
            school_year = school_year_of(now.astimezone(ZoneInfo(time_zone)).date(), start_month)
        year = SchoolYear(school_year, start_month)
        counts = await repo.monthly_counts(uai, year.first_month, year.end)
    return build_synthesis(year, counts)

"""The "Suivi des SMS" tabs: one page of a school's SMS, with its count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from reporting.adapters.report_repository import ReportRepository
from reporting.adapters.scope import school_transaction
from reporting.domain.listing import ListedSms, SmsFilter
from reporting.domain.presentation import PageWindow, page_window


@dataclass(frozen=True)
class SmsPage:
    window: PageWindow
    items: list[ListedSms]


async def list_school_sms(
    pool: asyncpg.Pool[Any], uai: str, sms_filter: SmsFilter, *, page: int, page_size: int
) -> SmsPage:
    """Page `page` of the school's SMS that `sms_filter` selects, and how many there are."""
    async with school_transaction(pool, uai, readonly=True) as conn:
        repo = ReportRepository(conn)
        total = await repo.count(uai, sms_filter)
        window = page_window(page, page_size, total)
        items = (
            await repo.page(uai, sms_filter, limit=page_size, offset=window.offset)
            if window.first
            else []
        )
    return SmsPage(window, items)

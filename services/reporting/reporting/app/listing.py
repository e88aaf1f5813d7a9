"""The "Suivi des SMS" tabs: one page of a school's SMS, with its count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from reporting.adapters.report_repository import ReportRepository
from reporting.adapters.scope import school_transaction
from reporting.domain.export import csv_header, csv_lines
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


async def export_school_sms(
    pool: asyncpg.Pool[Any], uai: str, sms_filter: SmsFilter, *, rows_per_chunk: int = 1000
) -> AsyncIterator[str]:
    """The whole list `sms_filter` selects as CSV text, chunk by chunk, from one snapshot."""
    async with school_transaction(pool, uai, readonly=True) as conn:
        yield csv_header()
        chunk: list[ListedSms] = []
        async for sms in ReportRepository(conn).all_rows(uai, sms_filter, chunk=rows_per_chunk):
            chunk.append(sms)
            if len(chunk) >= rows_per_chunk:
                yield csv_lines(chunk)
                chunk = []
        if chunk:
            yield csv_lines(chunk)

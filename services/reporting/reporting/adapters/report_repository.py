"""The read side: the lists, their counts, the monthly counters, the SMS to refresh.

Every query takes the school's UAI first and only ever reads that school's rows (row-level
security checks it a second time). Only SMS whose diffusion is known are listed: the display
fields come with sms.requested.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from reporting.domain.listing import ListedSms, SmsFilter
from reporting.domain.synthesis import MonthlyCount, SchoolVolume
from reporting.domain.tracking import Tab, search_key
from shared.db.types import Connection
from shared.states import SmsState

_LISTED = """
    sms_id, absence_id, action_label, pupil_name, division, event_label, recipient_role, state,
    reason_code, reason_message, provider_message_id, state_changed_at, time_zone, diffused_at
"""


def _listed(r: Mapping[str, Any]) -> ListedSms:
    return ListedSms(
        sms_id=r["sms_id"],
        absence_id=r["absence_id"],
        action_label=r["action_label"],
        pupil_name=r["pupil_name"],
        division=r["division"],
        event_label=r["event_label"],
        recipient_role=r["recipient_role"],
        state=SmsState(r["state"]),
        reason_code=r["reason_code"],
        stored_reason_message=r["reason_message"],
        provider_message_id=r["provider_message_id"],
        state_changed_at=r["state_changed_at"],
        time_zone=r["time_zone"],
        diffused_at=r["diffused_at"],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Where:
    """A WHERE clause built from fixed SQL fragments and bound values."""

    def __init__(self, uai: str) -> None:
        self.args: list[Any] = [uai]
        self.clauses = ["uai = $1", "diffused_at IS NOT NULL"]

    def bind(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses)


def _where(uai: str, f: SmsFilter) -> _Where:
    w = _Where(uai)
    if f.tab is not Tab.ALL:
        w.clauses.append(f"tab = {w.bind(f.tab.value)}")
    if f.state is not None:
        w.clauses.append(f"state = {w.bind(f.state.value)}")
    if f.division is not None:
        w.clauses.append(f"division = {w.bind(f.division)}")
    if f.action is not None:
        p = w.bind(f.action)
        w.clauses.append(f"(action_code = {p} OR action_label = {p})")
    if f.pupil is not None:
        pattern = f"%{_escape_like(search_key(f.pupil))}%"
        w.clauses.append(f"pupil_key LIKE {w.bind(pattern)}")
    if f.diffused_from is not None:
        w.clauses.append(f"diffused_on >= {w.bind(f.diffused_from)}")
    if f.diffused_to is not None:
        w.clauses.append(f"diffused_on <= {w.bind(f.diffused_to)}")
    return w


class ReportRepository:
    """Reads for one school's staff, in the caller's (school-scoped) transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def count(self, uai: str, f: SmsFilter) -> int:
        """How many SMS `f` selects: the tab's counter when no other filter applies, else a
        count of the matching rows."""
        if f.tab_only:
            tabs = None if f.tab is Tab.ALL else [f.tab.value]
            counted: int = await self._conn.fetchval(
                """
                SELECT coalesce(sum(count), 0)::bigint FROM tab_counts
                 WHERE uai = $1 AND ($2::text[] IS NULL OR tab = ANY($2::text[]))
                """,
                uai,
                tabs,
            )
            return counted
        w = _where(uai, f)
        value: int = await self._conn.fetchval(
            f"SELECT count(*) FROM sms_tracking WHERE {w.sql}", *w.args
        )
        return value

    async def page(self, uai: str, f: SmsFilter, *, limit: int, offset: int) -> list[ListedSms]:
        """Newest diffusion first, then by SMS id: the order never changes between pages."""
        w = _where(uai, f)
        records = await self._conn.fetch(
            f"""
            SELECT {_LISTED} FROM sms_tracking WHERE {w.sql}
             ORDER BY diffused_at DESC, sms_id
             LIMIT {w.bind(limit)} OFFSET {w.bind(offset)}
            """,
            *w.args,
        )
        return [_listed(r) for r in records]

    async def all_rows(
        self, uai: str, f: SmsFilter, *, chunk: int = 2000
    ) -> AsyncIterator[ListedSms]:
        """Every SMS `f` selects, in the order of the pages, read with a cursor chunk by chunk
        (the caller's transaction stays open while it iterates)."""
        w = _where(uai, f)
        cursor = self._conn.cursor(
            f"SELECT {_LISTED} FROM sms_tracking WHERE {w.sql} ORDER BY diffused_at DESC, sms_id",
            *w.args,
            prefetch=chunk,
        )
        async for record in cursor:
            yield _listed(record)

    async def school_calendar(self, uai: str) -> tuple[str, int] | None:
        """(time zone, school-year start month) as the school's latest diffusion said."""
        record = await self._conn.fetchrow(
            "SELECT time_zone, school_year_start_month FROM school_calendars WHERE uai = $1", uai
        )
        if record is None:
            return None
        return record["time_zone"], record["school_year_start_month"]

    async def monthly_counts(self, uai: str, start: date, end: date) -> list[MonthlyCount]:
        """The counter rows of months in [start, end)."""
        records = await self._conn.fetch(
            """
            SELECT month, action_code, action_label, delivered, total FROM monthly_counts
             WHERE uai = $1 AND month >= $2 AND month < $3
            """,
            uai,
            start,
            end,
        )
        return [
            MonthlyCount(
                r["month"], r["action_code"], r["action_label"], r["delivered"], r["total"]
            )
            for r in records
        ]

    async def in_progress_ids(self, uai: str, sms_ids: Sequence[UUID]) -> list[UUID]:
        """Those of `sms_ids` that are this school's SMS and still in progress."""
        records = await self._conn.fetch(
            """
            SELECT sms_id FROM sms_tracking
             WHERE uai = $1 AND tab = $2 AND diffused_at IS NOT NULL AND sms_id = ANY($3::uuid[])
             ORDER BY sms_id
            """,
            uai,
            Tab.IN_PROGRESS.value,
            list(sms_ids),
        )
        return [r["sms_id"] for r in records]

    async def count_in_progress(self, uai: str) -> int:
        return await self.count(uai, SmsFilter(tab=Tab.IN_PROGRESS))


class AcademieRepository:
    """Reads across every school, for the académie's roll-up, in a transaction that declared
    all schools (`set_all_schools_scope`). Only the counters are read, never the SMS rows.

    Each school's months are those of its own school year (from its calendar's start month),
    unless `start_month` imposes one (1: the calendar year).
    """

    _PERIOD = """
        FROM monthly_counts m
        LEFT JOIN school_calendars c ON c.uai = m.uai
       CROSS JOIN LATERAL (
             SELECT make_date($1, coalesce($2::integer, c.school_year_start_month::integer,
                                           $3::integer), 1) AS first_month
       ) p
       WHERE m.month >= p.first_month AND m.month < p.first_month + interval '12 months'
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def monthly_counts(
        self, start_year: int, start_month: int | None, default_start_month: int
    ) -> list[MonthlyCount]:
        """The counters of every school summed per month and action label."""
        records = await self._conn.fetch(
            f"""
            SELECT m.month, m.action_label, sum(m.delivered)::bigint AS delivered,
                   sum(m.total)::bigint AS total
            {self._PERIOD}
            GROUP BY m.month, m.action_label
            """,
            start_year,
            start_month,
            default_start_month,
        )
        return [
            MonthlyCount(
                r["month"], r["action_label"], r["action_label"], r["delivered"], r["total"]
            )
            for r in records
        ]

    async def any_sms(self) -> bool:
        """Whether any school has an SMS row (a rebuild only fills an empty schema)."""
        return bool(await self._conn.fetchval("SELECT EXISTS (SELECT 1 FROM sms_tracking)"))

    async def school_volumes(
        self, start_year: int, start_month: int | None, default_start_month: int
    ) -> list[SchoolVolume]:
        """Each school's delivered and total SMS of the period."""
        records = await self._conn.fetch(
            f"""
            SELECT m.uai, sum(m.delivered)::bigint AS delivered, sum(m.total)::bigint AS total
            {self._PERIOD}
            GROUP BY m.uai
            """,
            start_year,
            start_month,
            default_start_month,
        )
        return [SchoolVolume(r["uai"], r["delivered"], r["total"]) for r in records]

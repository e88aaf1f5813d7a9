"""The write side of the read model: SMS rows, monthly counters, school calendars.

Every method takes a whole batch and runs one statement, whatever the number of SMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from reporting.domain.tracking import (
    CounterDelta,
    Diffusion,
    TabDelta,
    TrackedSms,
    search_key,
)
from shared.db.types import Connection
from shared.states import SmsState

# (column, PostgreSQL type) in the order rows are written; sms_id and uai first.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sms_id", "uuid"),
    ("uai", "text"),
    ("absence_id", "uuid"),
    ("action_code", "text"),
    ("recipient_role", "text"),
    ("action_label", "text"),
    ("pupil_name", "text"),
    ("pupil_key", "text"),
    ("division", "text"),
    ("event_label", "text"),
    ("diffused_at", "timestamptz"),
    ("diffused_on", "date"),
    ("diffused_month", "date"),
    ("time_zone", "text"),
    ("school_year_start_month", "smallint"),
    ("state", "text"),
    ("tab", "text"),
    ("own_verdict", "boolean"),
    ("state_changed_at", "timestamptz"),
    ("reason_code", "text"),
    ("reason_message", "text"),
    ("operator_code", "text"),
    ("provider_code", "text"),
    ("provider_message_id", "text"),
)
_NAMES = ", ".join(name for name, _ in _COLUMNS)
_UNNEST = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_COLUMNS, start=1))

_INSERT_NEW = f"""
    INSERT INTO sms_tracking ({_NAMES})
    SELECT * FROM unnest({_UNNEST})
    ON CONFLICT (sms_id) DO NOTHING
    RETURNING sms_id
"""

# sms_id identifies the row and uai never changes (merge refuses another school's facts).
_SETS = ", ".join(f"{name} = u.{name}" for name, _ in _COLUMNS[2:])
_UPDATE = f"""
    UPDATE sms_tracking AS t SET {_SETS}, updated_at = now()
      FROM unnest({_UNNEST}) AS u({_NAMES})
     WHERE t.sms_id = u.sms_id AND t.uai = u.uai
"""

_LOCK = f"""
    SELECT {_NAMES} FROM sms_tracking
     WHERE sms_id = ANY($1::uuid[])
     ORDER BY sms_id
       FOR UPDATE
"""


class TrackingRepository:
    """SMS rows and the counters derived from them, in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def insert_new(self, rows: Iterable[TrackedSms]) -> set[UUID]:
        """Insert the rows whose SMS is not known yet; returns the ids actually inserted.

        An SMS inserted meanwhile by another transaction is waited for, then left alone (the
        caller merges into it instead).
        """
        ordered = sorted(rows, key=lambda r: r.sms_id)
        if not ordered:
            return set()
        records = await self._conn.fetch(_INSERT_NEW, *_columns(ordered))
        return {record["sms_id"] for record in records}

    async def lock(self, sms_ids: Sequence[UUID]) -> dict[UUID, TrackedSms]:
        """The current rows of `sms_ids` this transaction may see, locked until it ends."""
        if not sms_ids:
            return {}
        records = await self._conn.fetch(_LOCK, sorted(set(sms_ids)))
        return {record["sms_id"]: _tracked(record) for record in records}

    async def update(self, rows: Sequence[TrackedSms]) -> None:
        """Write merged rows back (rows previously returned by `lock`)."""
        if rows:
            await self._conn.execute(_UPDATE, *_columns(sorted(rows, key=lambda r: r.sms_id)))

    async def add_to_counters(self, deltas: Sequence[CounterDelta]) -> None:
        """Move the monthly counters by `deltas` (sorted by key: one lock order for everyone)."""
        if not deltas:
            return
        await self._conn.execute(
            """
            INSERT INTO monthly_counts (uai, month, action_code, action_label, total, delivered)
            SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[],
                                 $5::integer[], $6::integer[])
            ON CONFLICT (uai, month, action_code) DO UPDATE
               SET total = monthly_counts.total + EXCLUDED.total,
                   delivered = monthly_counts.delivered + EXCLUDED.delivered,
                   action_label = EXCLUDED.action_label
            """,
            [d.key.uai for d in deltas],
            [d.key.month for d in deltas],
            [d.key.action_code for d in deltas],
            [d.action_label for d in deltas],
            [d.total for d in deltas],
            [d.delivered for d in deltas],
        )

    async def add_to_tab_counts(self, deltas: Sequence[TabDelta]) -> None:
        """Move the per-tab numbers of listed SMS by `deltas` (sorted by key)."""
        if not deltas:
            return
        await self._conn.execute(
            """
            INSERT INTO tab_counts (uai, tab, count)
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
            ON CONFLICT (uai, tab) DO UPDATE SET count = tab_counts.count + EXCLUDED.count
            """,
            [d.key.uai for d in deltas],
            [d.key.tab for d in deltas],
            [d.count for d in deltas],
        )

    async def note_calendars(self, latest: Mapping[str, Diffusion]) -> None:
        """Keep each school's time zone and start month as its most recent diffusion says."""
        if not latest:
            return
        uais = sorted(latest)
        await self._conn.execute(
            """
            INSERT INTO school_calendars (uai, time_zone, school_year_start_month, as_of)
            SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::timestamptz[])
            ON CONFLICT (uai) DO UPDATE
               SET time_zone = EXCLUDED.time_zone,
                   school_year_start_month = EXCLUDED.school_year_start_month,
                   as_of = EXCLUDED.as_of
             WHERE school_calendars.as_of < EXCLUDED.as_of
            """,
            uais,
            [latest[u].time_zone for u in uais],
            [latest[u].school_year_start_month for u in uais],
            [latest[u].diffused_at for u in uais],
        )


def _columns(rows: Sequence[TrackedSms]) -> list[list[Any]]:
    """The rows as one list per column, in `_COLUMNS` order (for unnest)."""
    values = [_values(row) for row in rows]
    return [list(column) for column in zip(*values, strict=True)]


def _values(row: TrackedSms) -> tuple[Any, ...]:
    d = row.diffusion
    return (
        row.sms_id,
        row.uai,
        row.absence_id,
        row.action_code,
        row.recipient_role,
        d.action_label if d else None,
        d.pupil_name if d else None,
        search_key(d.pupil_name) if d else None,
        d.division if d else None,
        d.event_label if d else None,
        d.diffused_at if d else None,
        d.diffused_on if d else None,
        d.month if d else None,
        d.time_zone if d else None,
        d.school_year_start_month if d else None,
        row.state.value,
        row.tab.value,
        row.own_verdict,
        row.state_changed_at,
        row.reason_code,
        row.reason_message,
        row.operator_code,
        row.provider_code,
        row.provider_message_id,
    )


def _tracked(record: Mapping[str, Any]) -> TrackedSms:
    diffusion = None
    if record["diffused_at"] is not None:
        diffusion = Diffusion(
            action_label=record["action_label"],
            pupil_name=record["pupil_name"],
            division=record["division"],
            event_label=record["event_label"],
            diffused_at=record["diffused_at"],
            time_zone=record["time_zone"],
            school_year_start_month=record["school_year_start_month"],
        )
    return TrackedSms(
        sms_id=record["sms_id"],
        uai=record["uai"],
        absence_id=record["absence_id"],
        action_code=record["action_code"],
        recipient_role=record["recipient_role"],
        diffusion=diffusion,
        state=SmsState(record["state"]),
        own_verdict=record["own_verdict"],
        state_changed_at=record["state_changed_at"],
        reason_code=record["reason_code"],
        reason_message=record["reason_message"],
        operator_code=record["operator_code"],
        provider_code=record["provider_code"],
        provider_message_id=record["provider_message_id"],
    )

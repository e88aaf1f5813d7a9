"""Every query on the `tracked_sms` table. Batch statements only: one round trip per batch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from shared.db.types import Connection
from shared.states import SmsState
from status_poller.domain.lifecycle import POLLED_STATES, TrackedSms

_COLUMNS = (
    "sms_id, uai, absence_id, action_code, recipient_role, provider_code, provider_message_id,"
    " state, own_verdict, operator_code, reason_code, correlation_id, submitted_at, changed_at,"
    " expires_at, next_poll_at, polls, poll_failures"
)
_T_COLUMNS = ", ".join(f"t.{c.strip()}" for c in _COLUMNS.split(","))

# The unnest signature of a full row, in _COLUMNS order.
_ROW_ARRAYS = (
    "$1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],"
    " $8::text[], $9::boolean[], $10::text[], $11::text[], $12::uuid[], $13::timestamptz[],"
    " $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::integer[], $18::integer[]"
)


class TrackedSmsRepository:
    """The tracked SMS of the schools a transaction works for.

    Row-level security limits every statement to the schools the transaction declared; the
    cross-school reads (`claim_due`, `overview`) see every school only when the caller declared
    `shared.db.pool.set_all_schools_scope`, and nothing when it declared none.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock(self, keys: Iterable[tuple[str, UUID]]) -> dict[UUID, TrackedSms]:
        """The rows of these (UAI, SMS id) pairs, locked for this transaction (in id order, so
        that two transactions locking overlapping sets cannot deadlock)."""
        pairs = sorted(set(keys))
        if not pairs:
            return {}
        rows = await self._conn.fetch(
            f"""
            SELECT {_T_COLUMNS}
              FROM tracked_sms t
              JOIN unnest($1::text[], $2::uuid[]) AS k(uai, sms_id)
                ON t.uai = k.uai AND t.sms_id = k.sms_id
             ORDER BY t.sms_id
               FOR UPDATE OF t
            """,
            [uai for uai, _ in pairs],
            [sms_id for _, sms_id in pairs],
        )
        return {row["sms_id"]: _tracked(row) for row in rows}

    async def insert_new(self, rows: Sequence[TrackedSms]) -> set[UUID]:
        """Insert rows not tracked yet; returns the ids inserted (the others exist already)."""
        if not rows:
            return set()
        inserted = await self._conn.fetch(
            f"""
            INSERT INTO tracked_sms ({_COLUMNS})
            SELECT * FROM unnest({_ROW_ARRAYS})
            ON CONFLICT (sms_id) DO NOTHING
            RETURNING sms_id
            """,
            *_arrays(rows),
        )
        return {row["sms_id"] for row in inserted}

    async def update(self, rows: Sequence[TrackedSms]) -> None:
        """Store these rows as they are now (each under its own school)."""
        if not rows:
            return
        await self._conn.execute(
            f"""
            UPDATE tracked_sms t SET
                   absence_id = u.absence_id, action_code = u.action_code,
                   recipient_role = u.recipient_role, provider_code = u.provider_code,
                   provider_message_id = u.provider_message_id, state = u.state,
                   own_verdict = u.own_verdict, operator_code = u.operator_code,
                   reason_code = u.reason_code, correlation_id = u.correlation_id,
                   submitted_at = u.submitted_at, changed_at = u.changed_at,
                   expires_at = u.expires_at, next_poll_at = u.next_poll_at, polls = u.polls,
                   poll_failures = u.poll_failures, updated_at = now()
              FROM unnest({_ROW_ARRAYS}) AS u({_COLUMNS})
             WHERE t.sms_id = u.sms_id AND t.uai = u.uai
            """,
            *_arrays(rows),
        )

    async def make_due(
        self,
        sms: Iterable[tuple[str, UUID, datetime]],
        schools: Iterable[tuple[str, datetime]],
    ) -> int:
        """Bring forward to the given time the next look of these (UAI, SMS id) and of every SMS
        still followed in these schools; never pushes a look back, never revives an SMS nothing
        is left to learn of."""
        listed = sorted(set(sms))
        whole = sorted(set(schools))
        count = 0
        if listed:
            status = await self._conn.execute(
                """
                UPDATE tracked_sms t SET next_poll_at = k.at, updated_at = now()
                  FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS k(uai, sms_id, at)
                 WHERE t.uai = k.uai AND t.sms_id = k.sms_id AND t.next_poll_at > k.at
                """,
                [uai for uai, _, _ in listed],
                [sms_id for _, sms_id, _ in listed],
                [at for _, _, at in listed],
            )
            count += _affected(status)
        if whole:
            status = await self._conn.execute(
                """
                UPDATE tracked_sms t SET next_poll_at = k.at, updated_at = now()
                  FROM unnest($1::text[], $2::timestamptz[]) AS k(uai, at)
                 WHERE t.uai = k.uai AND t.next_poll_at > k.at
                """,
                [uai for uai, _ in whole],
                [at for _, at in whole],
            )
            count += _affected(status)
        return count

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        busy_schools: Iterable[str] = (),
    ) -> list[TrackedSms]:
        """Take up to `limit` due rows, every school at once (the poller's cross-school read,
        under the all-schools scope), skipping rows another poller holds and the schools this one
        is still busy with.

        The rows are held by a lease: their next look moves to now + `lease`, so that another
        replica does not take them, and they come back by themselves if this one dies. The
        returned rows carry that lease as `next_poll_at`.
        """
        rows = await self._conn.fetch(
            f"""
            WITH due AS (
                SELECT sms_id FROM tracked_sms
                 WHERE next_poll_at <= $4 AND NOT (uai = ANY($3::text[]))
                 ORDER BY next_poll_at
                 LIMIT $1
                   FOR UPDATE SKIP LOCKED)
            UPDATE tracked_sms t
               SET next_poll_at = $4::timestamptz + make_interval(secs => $2), updated_at = now()
              FROM due
             WHERE t.sms_id = due.sms_id
            RETURNING {_T_COLUMNS}
            """,
            limit,
            lease.total_seconds(),
            sorted(set(busy_schools)),
            now,
        )
        return [_tracked(row) for row in rows]

    async def lock_by_message_ids(
        self, uai: str, provider_code: str, provider_message_ids: Iterable[str]
    ) -> dict[str, TrackedSms]:
        """The school's rows sent through `provider_code` under these operator message ids,
        locked for this transaction, by message id."""
        ids = sorted(set(provider_message_ids))
        if not ids:
            return {}
        rows = await self._conn.fetch(
            f"""
            SELECT {_T_COLUMNS}
              FROM tracked_sms t
             WHERE t.uai = $1 AND t.provider_code = $2
               AND t.provider_message_id = ANY($3::text[])
             ORDER BY t.sms_id
               FOR UPDATE OF t
            """,
            uai,
            provider_code,
            ids,
        )
        return {row["provider_message_id"]: _tracked(row) for row in rows}

    async def overview(self, now: datetime) -> TrackingOverview:
        """Rows due now, SMS still awaiting an answer and the oldest of them, every school at
        once (metrics; under the all-schools scope)."""
        row = await self._conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE next_poll_at <= $1) AS due,
                   count(*) FILTER (WHERE state = ANY($2::text[])) AS waiting,
                   min(submitted_at) FILTER (WHERE state = ANY($2::text[])) AS oldest
              FROM tracked_sms WHERE next_poll_at IS NOT NULL
            """,
            now,
            sorted(state.value for state in POLLED_STATES),
        )
        if row is None:
            return TrackingOverview(0, 0, None)
        return TrackingOverview(int(row["due"] or 0), int(row["waiting"] or 0), row["oldest"])


@dataclass(frozen=True)
class TrackingOverview:
    due: int  # rows whose next look is due
    waiting: int  # SMS en transit or pris en charge
    oldest_submitted_at: datetime | None  # submission of the oldest of them


def _tracked(row: Any) -> TrackedSms:
    values = dict(row)
    values["state"] = SmsState(values["state"])
    return TrackedSms(**values)


def _arrays(rows: Sequence[TrackedSms]) -> list[list[Any]]:
    return [
        [r.sms_id for r in rows],
        [r.uai for r in rows],
        [r.absence_id for r in rows],
        [r.action_code for r in rows],
        [r.recipient_role for r in rows],
        [r.provider_code for r in rows],
        [r.provider_message_id for r in rows],
        [r.state.value for r in rows],
        [r.own_verdict for r in rows],
        [r.operator_code for r in rows],
        [r.reason_code for r in rows],
        [r.correlation_id for r in rows],
        [r.submitted_at for r in rows],
        [r.changed_at for r in rows],
        [r.expires_at for r in rows],
        [r.next_poll_at for r in rows],
        [r.polls for r in rows],
        [r.poll_failures for r in rows],
    ]


def _affected(status: str) -> int:
    # asyncpg returns the command tag, e.g. "UPDATE 3".
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0

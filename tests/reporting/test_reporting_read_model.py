"""The read model on real PostgreSQL: rows and counters exact under replays and any order."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from reporting_support import (
    DIFFUSED,
    OTHER_UAI,
    UAI,
    apply,
    rejected,
    requested,
    scoped_fetch,
    status,
    submitted,
)

from reporting.domain.tracking import CrossSchoolFactError
from shared.contracts import Envelope
from shared.db.pool import set_tenant_scope


async def rows(pool: asyncpg.Pool[Any]) -> dict[UUID, dict[str, Any]]:
    records = await scoped_fetch(pool, "SELECT * FROM sms_tracking")
    return {r["sms_id"]: {k: v for k, v in r.items() if k != "updated_at"} for r in records}


async def counters(pool: asyncpg.Pool[Any]) -> dict[tuple[str, date, str], tuple[int, int]]:
    records = await scoped_fetch(
        pool, "SELECT uai, month, action_code, total, delivered FROM monthly_counts"
    )
    return {
        (r["uai"], r["month"], r["action_code"]): (r["total"], r["delivered"])
        for r in records
        if r["total"] or r["delivered"]
    }


async def aggregate(pool: asyncpg.Pool[Any]) -> dict[tuple[str, date, str], tuple[int, int]]:
    """The counters recomputed from the rows: what they must always equal."""
    records = await scoped_fetch(
        pool,
        """
        SELECT uai, diffused_month AS month, action_code, count(*) AS total,
               count(*) FILTER (WHERE state = 'delivered') AS delivered
          FROM sms_tracking WHERE diffused_at IS NOT NULL
         GROUP BY 1, 2, 3
        """,
    )
    return {(r["uai"], r["month"], r["action_code"]): (r["total"], r["delivered"]) for r in records}


async def tab_counts_match_the_rows(pool: asyncpg.Pool[Any]) -> bool:
    counted = await scoped_fetch(pool, "SELECT uai, tab, count FROM tab_counts WHERE count <> 0")
    rows_per_tab = await scoped_fetch(
        pool,
        "SELECT uai, tab, count(*) AS count FROM sms_tracking"
        " WHERE diffused_at IS NOT NULL GROUP BY 1, 2",
    )
    return {(r["uai"], r["tab"]): r["count"] for r in counted} == {
        (r["uai"], r["tab"]): r["count"] for r in rows_per_tab
    }


def lifecycle(sms_id: UUID, final: str, uai: str = UAI, **request: Any) -> list[Envelope]:
    """Every message one SMS gives rise to, ending in `final`."""
    messages: list[Envelope] = [requested(sms_id, uai=uai, **request)]
    if final in ("invalid", "failed"):
        reason = "invalid_number" if final == "invalid" else "no_credit"
        messages += [
            rejected(sms_id, uai=uai, state=final, reason_code=reason),
            status(sms_id, final, uai=uai, reason_code=reason, provider_message_id=None),
        ]
        return messages
    messages += [
        submitted(sms_id, uai=uai),
        status(sms_id, "in_transit", uai=uai, changed_at=DIFFUSED + timedelta(seconds=20)),
        status(sms_id, "carrier_accepted", uai=uai, changed_at=DIFFUSED + timedelta(minutes=1)),
    ]
    if final != "carrier_accepted":
        at = DIFFUSED + timedelta(minutes=3)
        messages.append(status(sms_id, final, uai=uai, changed_at=at))
    return messages


PARIS = ZoneInfo("Europe/Paris")
SEPTEMBER = (UAI, date(2011, 9, 1), "SMS1")


async def test_a_full_lifecycle_gives_one_complete_row_and_counts_it_once(reporting_db) -> None:
    _, pool = reporting_db
    sms_id = uuid4()
    await apply(pool, lifecycle(sms_id, "delivered"))
    row = (await rows(pool))[sms_id]
    assert row["state"] == "delivered" and row["tab"] == "delivered"
    assert row["pupil_name"] == "MARTIN Lucas" and row["pupil_key"] == "martin lucas"
    assert row["diffused_on"] == date(2011, 9, 13) and row["provider_message_id"] == "719573"
    assert row["time_zone"] == "Europe/Paris" and row["school_year_start_month"] == 9
    assert await counters(pool) == {SEPTEMBER: (1, 1)}


async def test_replaying_every_message_twice_changes_nothing(reporting_db) -> None:
    _, pool = reporting_db
    messages = [m for i in range(5) for m in lifecycle(uuid4(), ["delivered", "invalid"][i % 2])]
    await apply(pool, messages)
    before_rows, before_counts = await rows(pool), await counters(pool)
    assert before_counts == {SEPTEMBER: (5, 3)}
    # Republished copies carry new message ids, so the inbox lets them through.
    for _ in range(2):
        await apply(pool, [m.model_copy(update={"message_id": uuid4()}) for m in messages])
    assert await rows(pool) == before_rows
    assert await counters(pool) == before_counts


async def test_status_before_request_gives_a_complete_row_counted_once(reporting_db) -> None:
    _, pool = reporting_db
    sms_id = uuid4()
    await apply(pool, [status(sms_id, "delivered")])
    row = (await rows(pool))[sms_id]
    assert row["state"] == "delivered" and row["diffused_at"] is None
    assert await counters(pool) == {}, "no month is known before the request"

    await apply(pool, [requested(sms_id)])
    await apply(pool, [requested(sms_id), submitted(sms_id)])
    row = (await rows(pool))[sms_id]
    assert row["state"] == "delivered", "the request must not bring it back to queued"
    assert row["pupil_name"] == "MARTIN Lucas" and row["event_label"].startswith("Absence")
    assert row["provider_code"] == "smsfrance"
    assert await counters(pool) == {SEPTEMBER: (1, 1)}


async def test_delivered_then_a_late_own_verdict_stays_delivered(reporting_db) -> None:
    _, pool = reporting_db
    sms_id = uuid4()
    await apply(pool, lifecycle(sms_id, "delivered"))
    expired = status(
        sms_id,
        "undelivered",
        own_verdict=True,
        reason_code="expired",
        changed_at=DIFFUSED + timedelta(days=2),
    )
    await apply(pool, [expired])
    row = (await rows(pool))[sms_id]
    assert (row["state"], row["own_verdict"], row["reason_code"]) == ("delivered", False, None)
    assert await counters(pool) == {SEPTEMBER: (1, 1)}


async def test_an_operator_delivery_after_our_expiry_is_counted_as_delivered(reporting_db) -> None:
    _, pool = reporting_db
    sms_id = uuid4()
    await apply(pool, lifecycle(sms_id, "carrier_accepted"))
    await apply(pool, [status(sms_id, "undelivered", own_verdict=True, reason_code="expired")])
    assert (await rows(pool))[sms_id]["tab"] == "invalid_or_undelivered"
    assert await counters(pool) == {SEPTEMBER: (1, 0)}
    await apply(pool, [status(sms_id, "delivered", changed_at=DIFFUSED + timedelta(days=1))])
    row = (await rows(pool))[sms_id]
    assert (row["state"], row["own_verdict"], row["tab"]) == ("delivered", False, "delivered")
    assert await counters(pool) == {SEPTEMBER: (1, 1)}


async def test_counters_are_exact_under_any_order_batching_and_replay(reporting_db) -> None:
    _, pool = reporting_db
    rng = random.Random(20110913)
    finals = ["delivered", "undelivered", "invalid", "failed", "carrier_accepted"]
    expected: Counter[tuple[str, date, str]] = Counter()
    expected_delivered: Counter[tuple[str, date, str]] = Counter()
    messages: list[Envelope] = []
    for i in range(60):
        uai = [UAI, OTHER_UAI][i % 2]
        action = ["SMS1", "SMS2"][i % 3 == 0]
        # Spread over September and October in Paris, some near midnight at the month's end.
        diffused = datetime(2011, 9, 30, 21, 30, tzinfo=UTC) + timedelta(hours=i % 4)
        final = finals[i % len(finals)]
        messages += lifecycle(uuid4(), final, uai=uai, action_code=action, diffused_at=diffused)
        key = (uai, diffused.astimezone(PARIS).date().replace(day=1), action)
        expected[key] += 1
        expected_delivered[key] += final == "delivered"
    # The same SMS's messages may come in any order, in different batches, some of them twice.
    stream = messages + rng.sample(messages, 40)
    rng.shuffle(stream)
    while stream:
        size = rng.randint(1, 25)
        batch, stream = stream[:size], stream[size:]
        await apply(pool, [m.model_copy(update={"message_id": uuid4()}) for m in batch])
    want = {key: (expected[key], expected_delivered[key]) for key in expected}
    assert await counters(pool) == want
    assert await aggregate(pool) == want
    assert await tab_counts_match_the_rows(pool)


async def test_concurrent_batches_about_the_same_sms_count_each_once(reporting_db) -> None:
    _, pool = reporting_db
    # Two consumers may briefly hold the same partition around a rebalance.
    for _ in range(10):
        ids = [uuid4() for _ in range(20)]
        first = [m for i in ids for m in (requested(i), status(i, "delivered"))]
        second = [m for i in ids for m in (status(i, "delivered"), requested(i))]
        await asyncio.gather(apply(pool, first), apply(pool, second))
    assert await counters(pool) == {SEPTEMBER: (200, 200)}
    assert await tab_counts_match_the_rows(pool)


async def test_a_message_naming_another_schools_sms_is_refused_and_changes_nothing(
    reporting_db,
) -> None:
    _, pool = reporting_db
    sms_id = uuid4()
    await apply(pool, [requested(sms_id)])
    before = await rows(pool)
    with pytest.raises(CrossSchoolFactError):
        await apply(pool, [status(sms_id, "delivered", uai=OTHER_UAI)])
    with pytest.raises(CrossSchoolFactError):  # even with both schools in the batch's scope
        await apply(pool, [requested(uuid4()), status(sms_id, "delivered", uai=OTHER_UAI)])
    assert await rows(pool) == before


async def test_a_transaction_sees_only_the_schools_it_declared(reporting_db) -> None:
    _, pool = reporting_db
    await apply(pool, [requested(), requested(uai=OTHER_UAI)])
    for table in ("sms_tracking", "monthly_counts", "school_calendars"):
        seen = await scoped_fetch(pool, f"SELECT DISTINCT uai FROM {table}", uais=[UAI])
        assert [r["uai"] for r in seen] == [UAI], table
        async with pool.acquire() as conn:  # no declared school at all: nothing
            assert await conn.fetch(f"SELECT uai FROM {table}") == []
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant_scope(conn, {UAI})
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "UPDATE monthly_counts SET uai = $1", OTHER_UAI
            )  # cannot move a row to another school


async def test_the_schools_calendar_follows_its_latest_request(reporting_db) -> None:
    _, pool = reporting_db
    newer = DIFFUSED + timedelta(days=1)
    await apply(pool, [requested(diffused_at=newer, time_zone="Indian/Reunion")])
    await apply(pool, [requested(school_year_start_month=2)])  # older: ignored
    [calendar] = await scoped_fetch(pool, "SELECT * FROM school_calendars", uais=[UAI])
    assert (calendar["time_zone"], calendar["school_year_start_month"]) == ("Indian/Reunion", 9)

"""Two status-poller replicas on one schema, the real PostgreSQL and Kafka, tracking 10,000 SMS:
both do work, and none asks about an SMS another already asked about in the same cycle."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from poller_support import PROVIDER_CODE, FakeOperator, running_poller, school_settings
from support.kafka_probe import eventually

from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.operators.base import AdapterRegistry
from shared.states import SmsState
from status_poller.adapters.tracked_sms_repository import TrackedSmsRepository
from status_poller.domain.lifecycle import TrackedSms

SCHOOLS = [f"{n:07d}X" for n in range(7500001, 7500101)]
PER_SCHOOL = 100


def due(uai: str, now: datetime) -> TrackedSms:
    sms_id = uuid4()
    return TrackedSms(
        sms_id=sms_id,
        uai=uai,
        absence_id=uuid4(),
        action_code="SMS1",
        recipient_role="Légal 1",
        state=SmsState.IN_TRANSIT,
        changed_at=now,
        provider_code=PROVIDER_CODE,
        provider_message_id=f"OP-{sms_id.hex}",
        submitted_at=now,
        expires_at=now + timedelta(hours=48),
        next_poll_at=now - timedelta(seconds=1),
    )


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_two_replicas_share_10000_sms_and_never_poll_one_twice_in_a_cycle(
    isolation, topics
) -> None:
    await topics()
    first, second = FakeOperator(), FakeOperator()
    # One cycle lasts the whole test: a second request about an SMS would be a double poll.
    tuning = {"poll_interval_s": 3600, "poll_claim_limit": 250, "poll_concurrency": 8}
    async with contextlib.AsyncExitStack() as stack:
        one = await stack.enter_async_context(
            running_poller(isolation, AdapterRegistry({"fake": first}), **tuning)
        )
        two = await stack.enter_async_context(
            running_poller(isolation, AdapterRegistry({"fake": second}), instance_id="2", **tuning)
        )
        await one.publish(*(school_settings(uai, "fake", one.box) for uai in SCHOOLS))

        async def accounts_stored() -> bool:
            async with one.resources.pool.acquire() as conn, conn.transaction():
                await set_all_schools_scope(conn, "test: accounts stored")
                count = await conn.fetchval("SELECT count(*) FROM provider_accounts")
            return bool(count == len(SCHOOLS))

        await eventually(accounts_stored, timeout=120)

        now = datetime.now(UTC)
        rows = [due(uai, now) for uai in SCHOOLS for _ in range(PER_SCHOOL)]
        for operator in (first, second):
            operator.states.update(
                {row.provider_message_id or "": SmsState.CARRIER_ACCEPTED for row in rows}
            )
        async with tenant_transaction(one.resources.pool, SCHOOLS) as conn:
            assert len(await TrackedSmsRepository(conn).insert_new(rows)) == len(rows)

        def asked() -> Counter[str]:
            return Counter(pmi for op in (first, second) for r in op.requests for pmi in r)

        async def all_asked() -> bool:
            return len(asked()) == len(rows)

        await eventually(all_asked, timeout=300, interval=0.5)
        await one.settled()
        await two.settled()

        async with one.resources.pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "test: what the replicas stored")
            stored = await conn.fetchrow(
                """
                SELECT count(*) FILTER (WHERE state = 'carrier_accepted') AS accepted,
                       count(*) FILTER (WHERE polls = 1) AS polled_once,
                       count(*) FILTER (WHERE next_poll_at <= now() + interval '50 minutes')
                           AS due_soon
                  FROM tracked_sms
                """
            )
        published = await one.statuses()

    counts = asked()
    assert max(counts.values()) == 1, "an SMS was asked about twice in one cycle"
    by_first = sum(len(r) for r in first.requests)
    by_second = sum(len(r) for r in second.requests)
    assert by_first + by_second == len(rows)
    assert by_first > 0 and by_second > 0, (by_first, by_second)
    assert dict(stored) == {"accepted": len(rows), "polled_once": len(rows), "due_soon": 0}
    assert Counter(s.sms_id for s in published) == Counter({row.sms_id: 1 for row in rows})

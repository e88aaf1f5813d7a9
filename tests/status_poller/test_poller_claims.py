"""Claiming due rows on the real PostgreSQL: replicas share them, a dead replica's rows return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from support.kafka_probe import eventually

from shared.db.pool import create_pool, set_all_schools_scope, tenant_transaction
from shared.states import SmsState
from status_poller.adapters.tracked_sms_repository import TrackedSmsRepository
from status_poller.domain.lifecycle import TrackedSms
from status_poller.main import build_app
from status_poller.settings import StatusPollerSettings


def due_sms(uai: str) -> TrackedSms:
    now = datetime.now(UTC)
    return TrackedSms(
        sms_id=uuid4(),
        uai=uai,
        absence_id=uuid4(),
        action_code="SMS1",
        recipient_role="Légal 1",
        state=SmsState.IN_TRANSIT,
        changed_at=now,
        provider_code="op",
        provider_message_id=f"OP-{uuid4().hex[:8]}",
        submitted_at=now,
        expires_at=now + timedelta(hours=48),
        next_poll_at=now - timedelta(seconds=1),
    )


async def test_two_pollers_claim_disjoint_rows_and_a_dead_pollers_rows_come_back(
    isolation,
) -> None:
    settings = isolation.settings(StatusPollerSettings)
    await build_app(settings).state.runtime.run_migrations()
    pool = await create_pool(settings.database_dsn.get_secret_value(), isolation.schema)
    try:
        rows = [due_sms("0750001A") for _ in range(6)] + [due_sms("0930002B") for _ in range(4)]
        async with tenant_transaction(pool, {"0750001A", "0930002B"}) as conn:
            assert len(await TrackedSmsRepository(conn).insert_new(rows)) == 10

        lease = timedelta(seconds=1)
        async with pool.acquire() as first, pool.acquire() as second:
            # Both claims run while the other's transaction is still open: SKIP LOCKED.
            async with first.transaction(), second.transaction():
                await set_all_schools_scope(first, "test: first poller's claim")
                await set_all_schools_scope(second, "test: second poller's claim")
                mine = await TrackedSmsRepository(first).claim_due(
                    now=datetime.now(UTC), limit=6, lease=lease
                )
                theirs = await TrackedSmsRepository(second).claim_due(
                    now=datetime.now(UTC), limit=6, lease=lease
                )
            assert len(mine) == 6 and len(theirs) == 4
            assert {r.sms_id for r in mine}.isdisjoint({r.sms_id for r in theirs})
            # Committed, the lease keeps them from a third claim...
            async with first.transaction():
                await set_all_schools_scope(first, "test: third claim")
                assert (
                    await TrackedSmsRepository(first).claim_due(
                        now=datetime.now(UTC), limit=10, lease=lease
                    )
                    == []
                )

        async def returned() -> bool:
            async with pool.acquire() as conn, conn.transaction():
                await set_all_schools_scope(conn, "test: claim after the lease")
                again = await TrackedSmsRepository(conn).claim_due(
                    now=datetime.now(UTC), limit=10, lease=lease, busy_schools=["0930002B"]
                )
            return len(again) == 6 and {r.uai for r in again} == {"0750001A"}

        # Nobody recorded an answer (the pollers "died"): the rows come back after the lease,
        # but for a school this poller is still busy with.
        await eventually(returned, timeout=10, interval=0.2)
    finally:
        await pool.close()

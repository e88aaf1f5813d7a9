"""Keeping the read model up to date from the four topics reporting reads."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from reporting.adapters.ops_metrics_repository import OpsMetricsRepository
from reporting.adapters.tracking_repository import TrackingRepository
from reporting.domain.ops_metrics import latency_deltas, state_deltas
from reporting.domain.tracking import (
    CrossSchoolFactError,
    Diffusion,
    Fact,
    TrackedSms,
    counter_deltas,
    fold,
    tab_deltas,
)
from shared.db.types import Connection


async def record_facts(conn: Connection, facts: Sequence[Fact]) -> None:
    """Merge a batch of facts into the SMS rows and move the counters accordingly.

    Runs in the consumer's transaction, with a fixed number of statements per batch: insert the
    SMS seen for the first time; lock, merge and write back the others; move the counters
    (monthly and operational) by the difference the batch made; note the schools' calendars. A
    replay finds every row already equal to its merge and writes nothing.
    """
    if not facts:
        return
    repo = TrackingRepository(conn)
    by_sms: dict[UUID, list[Fact]] = {}
    for fact in facts:
        by_sms.setdefault(fact.sms_id, []).append(fact)
    fresh = {sms_id: fold(None, group) for sms_id, group in by_sms.items()}
    inserted = await repo.insert_new(fresh.values())
    changes: list[tuple[TrackedSms | None, TrackedSms]] = [(None, fresh[i]) for i in inserted]

    known = [sms_id for sms_id in by_sms if sms_id not in inserted]
    current = await repo.lock(known)
    if len(current) < len(known):
        # The row exists (the insert met it) but this transaction may not see it: it belongs
        # to a school the batch does not declare.
        raise CrossSchoolFactError("the message names an SMS of another school")
    updated: list[TrackedSms] = []
    for sms_id in known:
        before = current[sms_id]
        after = fold(before, by_sms[sms_id])
        if after != before:
            updated.append(after)
            changes.append((before, after))
    await repo.update(updated)
    await repo.add_to_counters(counter_deltas(changes))
    await repo.add_to_tab_counts(tab_deltas(changes))
    ops = OpsMetricsRepository(conn)
    await ops.add_to_states(state_deltas(changes))
    await ops.add_to_latencies(latency_deltas(changes))
    await repo.note_calendars(_latest_calendars(facts))


def _latest_calendars(facts: Sequence[Fact]) -> dict[str, Diffusion]:
    latest: dict[str, Diffusion] = {}
    for fact in facts:
        d = fact.diffusion
        if d is None:
            continue
        known = latest.get(fact.uai)
        if known is None or d.diffused_at > known.diffused_at:
            latest[fact.uai] = d
    return latest

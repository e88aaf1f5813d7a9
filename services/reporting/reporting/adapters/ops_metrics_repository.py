"""The operations counters: written per batch with the SMS rows, read across every school."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from reporting.domain.ops_metrics import (
    LatencyDelta,
    LatencyFigure,
    StateDelta,
    StateFigure,
)
from shared.db.types import Connection

# The states are written out in the query (not bound): only then can the planner use the
# partial index sms_tracking_awaiting_answer_idx, whose predicate names them.
STUCK_SQL = """
    SELECT coalesce(provider_code, '') AS operator, count(*) AS stuck
      FROM sms_tracking
     WHERE state IN ('in_transit', 'carrier_accepted')
       AND state_changed_at < now() - $1::interval
     GROUP BY 1
"""


class OpsMetricsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add_to_states(self, deltas: Sequence[StateDelta]) -> None:
        """Move the state counters by `deltas` (sorted by key), in the caller's transaction."""
        if not deltas:
            return
        await self._conn.execute(
            """
            INSERT INTO state_counts (uai, operator, state, reason, current, reached)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                 $5::integer[], $6::bigint[])
            ON CONFLICT (uai, operator, state, reason) DO UPDATE
               SET current = state_counts.current + EXCLUDED.current,
                   reached = state_counts.reached + EXCLUDED.reached
            """,
            [d.key.uai for d in deltas],
            [d.key.operator for d in deltas],
            [d.key.state for d in deltas],
            [d.key.reason for d in deltas],
            [d.current for d in deltas],
            [d.reached for d in deltas],
        )

    async def add_to_latencies(self, deltas: Sequence[LatencyDelta]) -> None:
        if not deltas:
            return
        await self._conn.execute(
            """
            INSERT INTO delivery_times (uai, operator, bucket, count, seconds)
            SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[],
                                 $5::double precision[])
            ON CONFLICT (uai, operator, bucket) DO UPDATE
               SET count = delivery_times.count + EXCLUDED.count,
                   seconds = delivery_times.seconds + EXCLUDED.seconds
            """,
            [d.key.uai for d in deltas],
            [d.key.operator for d in deltas],
            [d.key.bucket for d in deltas],
            [d.count for d in deltas],
            [d.seconds for d in deltas],
        )

    # Reads: the transaction declared every school (the sampler's).

    async def states(self) -> list[StateFigure]:
        records = await self._conn.fetch(
            """
            SELECT operator, state, reason, sum(current)::bigint AS current,
                   sum(reached)::bigint AS reached
              FROM state_counts GROUP BY operator, state, reason
            """
        )
        return [
            StateFigure(r["operator"], r["state"], r["reason"], r["current"], r["reached"])
            for r in records
        ]

    async def latencies(self) -> list[LatencyFigure]:
        records = await self._conn.fetch(
            """
            SELECT operator, bucket, sum(count)::bigint AS count, sum(seconds) AS seconds
              FROM delivery_times GROUP BY operator, bucket
            """
        )
        return [
            LatencyFigure(r["operator"], r["bucket"], r["count"], r["seconds"]) for r in records
        ]

    async def stuck(self, older_than: timedelta) -> dict[str, int]:
        """Per operator, SMS still waiting for an answer (en transit, pris en charge) whose
        state has not moved for `older_than`; reads the partial index only."""
        records = await self._conn.fetch(STUCK_SQL, older_than)
        return {r["operator"]: r["stuck"] for r in records}

"""The figures of the operations dashboard, sampled across every school."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from reporting.adapters.ops_metrics_repository import OpsMetricsRepository
from reporting.adapters.scope import academie_transaction
from reporting.domain.ops_metrics import OpsSnapshot


async def sample_ops_metrics(
    pool: asyncpg.Pool[Any], *, stuck_after: timedelta, dead_letters: dict[str, int]
) -> OpsSnapshot:
    """SMS by state and reason, delivery times, SMS stuck in transit, per operator.

    Reads the counter tables (a few rows per school and operator) and the partial index of the
    SMS waiting for an answer; never the whole SMS table.
    """
    async with academie_transaction(pool, reason="operations metrics") as conn:
        repo = OpsMetricsRepository(conn)
        states = await repo.states()
        latencies = await repo.latencies()
        stuck = await repo.stuck(stuck_after)
    return OpsSnapshot(states, latencies, stuck, dict(dead_letters))

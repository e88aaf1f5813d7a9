""" "Mettre à jour": ask the status-poller to poll a school's SMS now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from reporting.adapters.report_repository import ReportRepository
from reporting.adapters.scope import school_transaction
from shared.contracts import SmsRefreshV1
from shared.db.outbox import enqueue

PRODUCER = "reporting"


async def request_refresh(
    pool: asyncpg.Pool[Any],
    uai: str,
    sms_ids: Sequence[UUID],
    *,
    requested_by: str | None,
    now: datetime,
) -> int:
    """Publish (through the outbox) an sms.refresh for the school; returns how many SMS it names.

    With `sms_ids`, only those that are this school's and still in progress are named; ids of
    another school are ignored without a trace of them in the answer. When none is left nothing
    is published: an empty list would mean "all" to the status-poller. Without `sms_ids`, the
    message asks for all the school's SMS in transit, and the answer counts those in progress.
    """
    async with school_transaction(pool, uai) as conn:
        repo = ReportRepository(conn)
        if sms_ids:
            kept = await repo.in_progress_ids(uai, list(dict.fromkeys(sms_ids)))
            if not kept:
                return 0
            count = len(kept)
        else:
            kept = []
            count = await repo.count_in_progress(uai)
        message = SmsRefreshV1(
            producer=PRODUCER,
            uai=uai,
            sms_ids=tuple(kept),
            requested_by=requested_by,
            requested_at=now,
        )
        await enqueue(conn, [message])
    return count

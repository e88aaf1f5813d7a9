"""Receipts kept until their submission is known (`early_receipts`), batch statements only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from shared.db.types import Connection
from shared.states import SmsState
from status_poller.domain.receipts import EarlyReceipt


class EarlyReceiptRepository:
    """The early receipts of the schools a transaction works for (row-level security)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def serialize_with_submissions(self, uais: Iterable[str]) -> None:
        """Take, until the end of the transaction, the lock that orders a school's receipts and
        its submissions: a receipt that finds no SMS and a submission that finds no receipt
        cannot both commit without seeing each other. Taken first in both transactions, in UAI
        order, before any row lock, so that they cannot deadlock."""
        schools = sorted(set(uais))
        if schools:
            await self._conn.execute(
                """
                SELECT pg_advisory_xact_lock(hashtextextended('status-poller:receipts:' || u, 0))
                  FROM unnest($1::text[]) AS s(u)
                """,
                schools,
            )

    async def keep(self, receipts: Sequence[EarlyReceipt]) -> None:
        if not receipts:
            return
        await self._conn.execute(
            """
            INSERT INTO early_receipts (
                uai, provider_code, provider_message_id, state, operator_code, changed_at,
                received_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::timestamptz[], $7::timestamptz[])
            """,
            [r.uai for r in receipts],
            [r.provider_code for r in receipts],
            [r.provider_message_id for r in receipts],
            [r.state.value for r in receipts],
            [r.operator_code for r in receipts],
            [r.changed_at for r in receipts],
            [r.received_at for r in receipts],
        )

    async def take(self, keys: Iterable[tuple[str, str, str]]) -> list[EarlyReceipt]:
        """Delete and return the receipts kept for these (UAI, provider code, message id), in
        the order they were received."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        rows = await self._conn.fetch(
            """
            DELETE FROM early_receipts e
             USING unnest($1::text[], $2::text[], $3::text[]) AS k(uai, provider_code, pmi)
             WHERE e.uai = k.uai AND e.provider_code = k.provider_code
               AND e.provider_message_id = k.pmi
            RETURNING e.id, e.uai, e.provider_code, e.provider_message_id, e.state,
                      e.operator_code, e.changed_at, e.received_at
            """,
            [uai for uai, _, _ in wanted],
            [code for _, code, _ in wanted],
            [pmi for _, _, pmi in wanted],
        )
        return [
            EarlyReceipt(
                uai=row["uai"],
                provider_code=row["provider_code"],
                provider_message_id=row["provider_message_id"],
                state=SmsState(row["state"]),
                operator_code=row["operator_code"],
                changed_at=row["changed_at"],
                received_at=row["received_at"],
            )
            for row in sorted(rows, key=lambda r: r["id"])
        ]

    async def purge(self, received_before: datetime) -> int:
        """Forget receipts whose submission never came (every school: all-schools scope)."""
        status = await self._conn.execute(
            "DELETE FROM early_receipts WHERE received_at < $1", received_before
        )
        try:
            return int(status.rsplit(" ", 1)[-1])
        except ValueError:
            return 0

"""When each school's next "Mettre à jour" may take effect (`refresh_limits`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from shared.db.types import Connection


class RefreshLimitRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def reserve(
        self, uais: Iterable[str], now: datetime, min_interval: timedelta
    ) -> Mapping[str, datetime]:
        """For each school, the moment its refresh takes effect: now when the last one is at
        least `min_interval` old (and the next one is then allowed `min_interval` later), else
        the moment already reserved, so that clicks in between join that one refresh."""
        schools = sorted(set(uais))
        if not schools:
            return {}
        rows = await self._conn.fetch(
            """
            WITH wanted AS (SELECT unnest($1::text[]) AS uai),
            previous AS (
                SELECT r.uai, r.next_allowed_at
                  FROM refresh_limits r JOIN wanted w ON w.uai = r.uai
                   FOR UPDATE OF r),
            upserted AS (
                INSERT INTO refresh_limits AS r (uai, next_allowed_at)
                SELECT w.uai, $2::timestamptz + make_interval(secs => $3) FROM wanted w
                ON CONFLICT (uai) DO UPDATE
                   SET next_allowed_at = EXCLUDED.next_allowed_at
                 WHERE r.next_allowed_at <= $2::timestamptz
                RETURNING r.uai)
            SELECT w.uai,
                   CASE WHEN u.uai IS NOT NULL THEN $2::timestamptz ELSE p.next_allowed_at END AS at
              FROM wanted w
              LEFT JOIN upserted u ON u.uai = w.uai
              LEFT JOIN previous p ON p.uai = w.uai
            """,
            schools,
            now,
            min_interval.total_seconds(),
        )
        # A school another transaction reserved meanwhile (a first refresh, both at once) has
        # no row in our snapshot: it joins the refresh just reserved.
        return {row["uai"]: row["at"] or now + min_interval for row in rows}

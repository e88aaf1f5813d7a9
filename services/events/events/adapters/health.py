"""SQL of the operators' health per school, as the dispatcher last reported it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.contracts import ProviderHealthV1
from shared.db.types import Connection


async def record(conn: Connection, reports: Sequence[ProviderHealthV1]) -> None:
    """Keep the newest report per school (an older one arriving late changes nothing)."""
    latest: dict[str, ProviderHealthV1] = {}
    for report in reports:
        known = latest.get(report.uai)
        if known is None or report.checked_at >= known.checked_at:
            latest[report.uai] = report
    await conn.executemany(
        """
        INSERT INTO provider_health (uai, provider_code, reachable, circuit_state, waiting_sms,
                                     last_error_code, last_error_fr, checked_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (uai) DO UPDATE SET
            provider_code = EXCLUDED.provider_code, reachable = EXCLUDED.reachable,
            circuit_state = EXCLUDED.circuit_state, waiting_sms = EXCLUDED.waiting_sms,
            last_error_code = EXCLUDED.last_error_code, last_error_fr = EXCLUDED.last_error_fr,
            checked_at = EXCLUDED.checked_at
        WHERE provider_health.checked_at <= EXCLUDED.checked_at
        """,
        [
            (
                r.uai,
                r.provider_code,
                r.reachable,
                r.circuit_state,
                r.waiting_sms,
                r.last_error_code,
                r.last_error_fr,
                r.checked_at,
            )
            for r in latest.values()
        ],
    )


async def get(conn: Connection, uai: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT provider_code, reachable, circuit_state, waiting_sms, last_error_code,"
        " last_error_fr, checked_at FROM provider_health WHERE uai = $1",
        uai,
    )
    return dict(row) if row else None

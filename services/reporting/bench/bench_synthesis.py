"""How fast the reporting reads are for a school with a million SMS.

    uv run python services/reporting/bench/bench_synthesis.py --admin-dsn postgresql://…
    uv run python services/reporting/bench/bench_synthesis.py            # REPORTING_* settings

With `--admin-dsn` (a superuser of a PostgreSQL server, e.g. the one `localinfra up` runs), it
provisions a `sms_bench` database with an owner and a working role; otherwise it uses the
REPORTING_DATABASE_OWNER_DSN / REPORTING_DATABASE_DSN of the environment. It migrates a fresh
schema, loads `--rows` SMS rows of one school over three school years with bulk SQL (no Python
loop), fills the monthly counters from them as the consumer would have, then times the reads as
the service runs them: through the working role, so row-level security applies. Prints one JSON
object; the schema is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from pydantic import SecretStr

from reporting.app.listing import list_school_sms
from reporting.app.synthesis import academie_synthesis, school_synthesis
from reporting.domain.listing import SmsFilter
from reporting.domain.tracking import Tab
from reporting.main import build_runtime
from reporting.settings import ReportingSettings
from shared.db.pool import create_pool
from shared.settings import Profile

UAI = "0759999Z"
NOW = datetime(2013, 6, 1, tzinfo=UTC)

_LOAD = """
INSERT INTO sms_tracking (
    sms_id, uai, absence_id, action_code, recipient_role, action_label, pupil_name, pupil_key,
    division, event_label, diffused_at, diffused_on, diffused_month, time_zone,
    school_year_start_month, state, tab, own_verdict, state_changed_at, reason_code,
    provider_code, provider_message_id)
SELECT gen_random_uuid(), $1, gen_random_uuid(),
       CASE WHEN g % 10 = 0 THEN 'SMS2' ELSE 'SMS1' END, 'Légal 1 - Financier',
       CASE WHEN g % 10 = 0 THEN 'SMS relance' ELSE 'Envoi de SMS' END,
       'ELEVE ' || (g % 5000), 'eleve ' || (g % 5000), 'D' || (g % 40),
       'Absence Du 01/09/11 Au 01/09/11', d.at,
       (d.at AT TIME ZONE 'Europe/Paris')::date,
       date_trunc('month', d.at AT TIME ZONE 'Europe/Paris')::date,
       'Europe/Paris', 9, s.state,
       CASE s.state WHEN 'delivered' THEN 'delivered'
                    WHEN 'in_transit' THEN 'in_progress'
                    ELSE 'invalid_or_undelivered' END,
       false, d.at + interval '2 minutes',
       CASE WHEN s.state = 'undelivered' THEN 'expired' END,
       'simulator', g::text
  FROM generate_series($2::integer, $3::integer) AS g
 CROSS JOIN LATERAL (
       SELECT timestamptz '2010-09-01 06:00+00' + (g % 1000) * interval '1 day'
              + (g % 600) * interval '1 minute' AS at) AS d
 CROSS JOIN LATERAL (
       SELECT CASE WHEN g % 20 = 0 THEN 'undelivered'
                   WHEN g % 50 = 1 THEN 'in_transit'
                   ELSE 'delivered' END AS state) AS s
"""

_COUNTERS = (
    """
    INSERT INTO monthly_counts (uai, month, action_code, action_label, total, delivered)
    SELECT uai, diffused_month, action_code, max(action_label), count(*),
           count(*) FILTER (WHERE state = 'delivered')
      FROM sms_tracking WHERE uai = $1 GROUP BY uai, diffused_month, action_code
    """,
    """
    INSERT INTO tab_counts (uai, tab, count)
    SELECT uai, tab, count(*) FROM sms_tracking WHERE uai = $1 GROUP BY uai, tab
    """,
)


async def _provision(admin_dsn: str) -> ReportingSettings:
    from localinfra.provisioning import dsn, provision

    owner, app = (
        ("sms_bench_owner", secrets.token_urlsafe(12)),
        (
            "sms_bench_app",
            secrets.token_urlsafe(12),
        ),
    )
    await provision(admin_dsn, "sms_bench", owner[0], owner[1], app[0], app[1])
    url = urlsplit(admin_dsn)
    host, port = url.hostname or "127.0.0.1", url.port or 5432
    return ReportingSettings(
        profile=Profile.TEST,
        database_owner_dsn=SecretStr(dsn(*owner, host, port, "sms_bench")),
        database_dsn=SecretStr(dsn(*app, host, port, "sms_bench")),
        db_app_role=app[0],
    )


async def _timed(call: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, float]:
    await call()  # warm the connection and the plan cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


async def run(settings: ReportingSettings, rows: int, repeat: int, keep: bool) -> dict[str, Any]:
    schema = f"bench_reporting_{secrets.token_hex(3)}"
    settings = settings.model_copy(update={"db_schema": schema})
    await build_runtime(settings).run_migrations()
    owner = await asyncpg.connect(
        settings.database_owner_dsn.get_secret_value(), server_settings={"search_path": schema}
    )
    result: dict[str, Any] = {"rows": rows, "schema": schema}
    try:
        await owner.execute("SELECT set_config('app.tenant_uais', $1, false)", UAI)
        started = time.perf_counter()
        step = 200_000
        for first in range(1, rows + 1, step):
            await owner.execute(_LOAD, UAI, first, min(first + step - 1, rows))
        for sql in _COUNTERS:
            await owner.execute(sql, UAI)
        await owner.execute(
            "INSERT INTO school_calendars VALUES ($1, 'Europe/Paris', 9, now())", UAI
        )
        await owner.execute("ANALYZE")
        result["load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        await owner.fetch(
            "SELECT diffused_month, action_code, count(*),"
            " count(*) FILTER (WHERE state = 'delivered') FROM sms_tracking"
            " WHERE uai = $1 AND diffused_month >= '2011-09-01' AND diffused_month < '2012-09-01'"
            " GROUP BY 1, 2",
            UAI,
        )
        result["synthesis_by_scanning_rows_ms"] = round((time.perf_counter() - started) * 1000, 1)
        pool = await create_pool(settings.database_dsn.get_secret_value(), schema)
        try:
            synthesis = await school_synthesis(pool, UAI, 2011, now=NOW)
            result["synthesis_year_total"] = synthesis.year.total
            result["school_synthesis"] = await _timed(
                lambda: school_synthesis(pool, UAI, 2011, now=NOW), repeat
            )
            result["academie_synthesis"] = await _timed(
                lambda: academie_synthesis(pool, 2011, now=NOW), repeat
            )
            for tab in (Tab.IN_PROGRESS, Tab.INVALID_OR_UNDELIVERED, Tab.DELIVERED):
                result[f"list_{tab.value}_page1_with_count"] = await _timed(
                    lambda tab=tab: list_school_sms(  # type: ignore[misc]
                        pool, UAI, SmsFilter(tab=tab), page=1, page_size=50
                    ),
                    max(5, repeat // 10),
                )
            result["list_delivered_pupil_filter"] = await _timed(
                lambda: list_school_sms(
                    pool, UAI, SmsFilter(tab=Tab.DELIVERED, pupil="eleve 42"), page=1, page_size=50
                ),
                max(5, repeat // 10),
            )
        finally:
            await pool.close()
    finally:
        if not keep:
            await owner.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await owner.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-dsn", help="provision a sms_bench database on this server")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()

    async def go() -> dict[str, Any]:
        settings = await _provision(args.admin_dsn) if args.admin_dsn else ReportingSettings()
        return await run(settings, args.rows, args.repeat, args.keep)

    sys.stdout.write(json.dumps(asyncio.run(go()), indent=2) + "\n")


if __name__ == "__main__":
    main()

"""One benchmark on a running stack: set-up, the burst, the raw broker rate, the poll cycle."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from . import measure, rawkafka, report, seed
from .stack import Target

LONG_S = 3600.0  # delivery delay and poll interval that keep SMS en transit during the cycle


@dataclass(frozen=True)
class BenchOptions:
    schools: int = 500
    sms: int = 100_000
    poll_sms: int | None = None  # SMS en transit for the poll cycle (None: as many as `sms`)
    delivery_delay_s: float = 0.2
    diffuse_concurrency: int = 32
    stall_s: float = 120.0
    raw_kafka: bool = True
    parameters: dict[str, Any] | None = None  # extra parameters to record (the stack's)


async def set_simulator(simulator_url: str, **defaults: Any) -> None:
    """Change the simulator's defaults (every benchmark account follows them)."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.put(f"{simulator_url}/_control/defaults", json=defaults)
        response.raise_for_status()


async def benchmark(target: Target, options: BenchOptions) -> dict[str, Any]:
    """Run everything and return the report (nothing written)."""
    if options.sms < options.schools:
        raise ValueError("at least one SMS per school")
    poll_sms = options.sms if options.poll_sms is None else min(options.poll_sms, options.sms)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    setup: dict[str, float] = {}
    conn = await asyncpg.connect(target.database_dsn())
    try:
        clock = time.perf_counter()
        # Fast and roomy: the operator must not be what limits the pipeline.
        await set_simulator(
            target.url("simulator"),
            delivery_delay_s=options.delivery_delay_s,
            latency_ms=0,
            max_batch=1000,
        )
        uais = seed.school_uais(options.schools)
        measure._log(f"set-up: {len(uais)} schools through the events API")
        actions = await seed.create_schools(target.url("events"), target.url("simulator"), uais)
        await seed.wait_for_accounts(conn, target.schemas, len(uais))
        setup["schools"] = time.perf_counter() - clock
        clock = time.perf_counter()
        shares = dict(zip(uais, seed.split(options.sms, len(uais)), strict=True))
        events_schema = target.schemas["events"]
        directory = await seed.write_directory(conn, events_schema, actions, shares)
        ids = await seed.write_pending_sms(conn, events_schema, directory, shares)
        school_of = await _schools_of(conn, events_schema, ids)
        setup["pending_sms"] = time.perf_counter() - clock
        measure._log(f"set-up: {len(ids)} pending SMS written in {setup['pending_sms']:.1f}s")

        burst = await measure.run_burst(
            target,
            conn,
            ids,
            school_of,
            concurrency=options.diffuse_concurrency,
            stall_s=options.stall_s,
        )
        burst_figures = measure.burst_figures(burst)
        memory = measure.peak_memory(target)
        measure._log(
            f"burst: {burst_figures['end_to_end']['delivered_visible']} délivré visible, "
            f"{burst_figures['end_to_end']['sms_per_s']} SMS/s"
        )

        raw = None
        if options.raw_kafka:
            raw = await rawkafka.produce_consume(
                target.kafka_bootstrap,
                messages=len(ids),
                size=burst.message_bytes,
                prefix=target.topic_prefix,
                keys=len(uais),
            )
            measure._log(f"raw aiokafka: {raw['produce_consume_per_s']} msg/s")

        cycle = None
        if poll_sms:
            await target.restart_service("status-poller", poll_interval_s=str(LONG_S))
            await set_simulator(target.url("simulator"), delivery_delay_s=LONG_S)
            cycle_shares = dict(zip(uais, seed.split(poll_sms, len(uais)), strict=True))
            cycle_ids = await seed.write_pending_sms(conn, events_schema, directory, cycle_shares)
            cycle = await measure.poll_cycle(
                target,
                conn,
                cycle_ids,
                await _schools_of(conn, events_schema, cycle_ids),
                concurrency=options.diffuse_concurrency,
                stall_s=options.stall_s,
            )
            measure._log(f"poll cycle: {cycle['seconds_from_refresh']}s")
    finally:
        await conn.close()
    parameters = {
        "schools": options.schools,
        "sms": options.sms,
        "poll_cycle_sms": poll_sms,
        "delivery_delay_s": options.delivery_delay_s,
        "diffuse_concurrency": options.diffuse_concurrency,
        **(options.parameters or {}),
    }
    return report.build(
        parameters=parameters,
        machine_info=report.machine(load_before, os.getloadavg()[0]),
        setup_s=setup,
        burst=burst_figures,
        memory=memory,
        raw_kafka=raw,
        poll_cycle=cycle,
        started_at=started_at,
    )


async def _schools_of(
    conn: asyncpg.Connection[Any], schema: str, ids: list[UUID]
) -> dict[UUID, str]:
    rows = await conn.fetch(f"SELECT id, uai FROM {schema}.sms WHERE id = ANY($1::uuid[])", ids)
    return {r["id"]: r["uai"] for r in rows}

"""The measured run: "Diffuser" for every school at once, then wait until reporting shows every
SMS "délivré", then read what each service recorded and when.

Every moment comes from the services' own tables (the events outbox's `published_at`, the
dispatcher's `finished_at`, the status-poller's outbox, reporting's `updated_at`), except the
moment "Diffuser" was pressed, which is when the benchmark sent the request.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from . import figures, seed
from .procstat import peak_rss_bytes, tree_cpu_seconds
from .seed import staff_headers
from .stack import Target


def _log(text: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


@dataclass
class Diffusion:
    """What "Diffuser" answered, school by school."""

    clicks: dict[str, float] = field(default_factory=dict)  # uai -> request sent (epoch s)
    seconds: dict[str, float] = field(default_factory=dict)  # uai -> request duration
    diffused: int = 0
    stopped: int = 0

    @property
    def t0(self) -> float:
        return min(self.clicks.values())


async def diffuse_all(events_url: str, uais: Sequence[str], concurrency: int) -> Diffusion:
    """Press "Diffuser" (all pending SMS) for every school, `concurrency` requests at a time."""
    result = Diffusion()
    limit = asyncio.Semaphore(concurrency)
    async with seed.client(events_url, timeout=900) as client:

        async def one(uai: str) -> None:
            async with limit:
                result.clicks[uai] = time.time()
                started = time.perf_counter()
                response = await client.post(
                    f"/api/v1/schools/{uai}/sms/diffuse",
                    json={"all": True},
                    headers=staff_headers(uai),
                )
                result.seconds[uai] = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(
                    f"Diffuser refused for {uai}: {response.status_code} {response.text[:300]}"
                )
            body = response.json()
            result.diffused += len(body["diffused"])
            result.stopped += len(body["stopped"])

        await asyncio.gather(*(one(uai) for uai in uais))
    return result


async def wait_until(
    conn: asyncpg.Connection[Any],
    query: str,
    args: Sequence[Any],
    target: int,
    *,
    what: str,
    stall_s: float,
) -> int:
    """Poll `query` (a count) until it reaches `target`, or until it stops moving for
    `stall_s` seconds; returns the last count."""
    last, moved = -1, time.monotonic()
    shown = 0.0
    while True:
        count = int(await conn.fetchval(query, *args))
        now = time.monotonic()
        if count != last:
            last, moved = count, now
        if count >= target:
            return count
        if now - moved > stall_s:
            _log(f"{what}: stuck at {count}/{target} for {stall_s:.0f}s, giving up")
            return count
        if now - shown >= 5:
            _log(f"{what}: {count}/{target}")
            shown = now
        await asyncio.sleep(0.25)


def sample_cpu(target: Target) -> dict[str, float]:
    return {name: tree_cpu_seconds(pid) for name, pid in target.pids().items()}


def peak_memory(target: Target) -> dict[str, int | None]:
    """VmHWM of the services, the simulator and the broker (PostgreSQL's is spread over one
    process per connection: left out)."""
    pids = target.pids()
    return {name: peak_rss_bytes(pid) for name, pid in pids.items() if name != "postgresql"}


async def _pairs(conn: asyncpg.Connection[Any], query: str, *args: Any) -> dict[UUID, float]:
    return {r[0]: float(r[1]) for r in await conn.fetch(query, *args) if r[1] is not None}


async def collect(
    conn: asyncpg.Connection[Any], schemas: dict[str, str], ids: list[UUID]
) -> dict[str, dict[UUID, float]]:
    """Each stage's moment for each SMS (seconds since the epoch), from the services' tables."""
    ev, dp = schemas["events"], schemas["dispatcher"]
    sp, rp = schemas["status-poller"], schemas["reporting"]
    epoch = "extract(epoch FROM {})"
    sms_in_outbox = "(convert_from(payload, 'UTF8')::jsonb ->> 'sms_id')::uuid"
    stages = {
        "diffused": await _pairs(
            conn,
            f"SELECT id, {epoch.format('diffused_at')} FROM {ev}.sms WHERE id = ANY($1::uuid[])",
            ids,
        ),
        "requested_published": await _pairs(
            conn,
            f"SELECT {sms_in_outbox}, {epoch.format('published_at')} FROM {ev}.outbox"
            " WHERE topic = 'sms.requested.v1'",
        ),
        "dispatcher_queued": await _pairs(
            conn,
            f"SELECT sms_id, {epoch.format('queued_at')} FROM {dp}.send_queue"
            " WHERE sms_id = ANY($1::uuid[])",
            ids,
        ),
        "operator_submitted": await _pairs(
            conn,
            f"SELECT sms_id, {epoch.format('finished_at')} FROM {dp}.send_queue"
            " WHERE sms_id = ANY($1::uuid[]) AND provider_message_id IS NOT NULL",
            ids,
        ),
        "submitted_published": await _pairs(
            conn,
            f"SELECT {sms_in_outbox}, {epoch.format('published_at')} FROM {dp}.outbox"
            " WHERE topic = 'sms.submitted.v1'",
        ),
        "poller_tracked": await _pairs(
            conn,
            f"SELECT sms_id, {epoch.format('created_at')} FROM {sp}.tracked_sms"
            " WHERE sms_id = ANY($1::uuid[])",
            ids,
        ),
        "delivered_published": await _pairs(
            conn,
            f"SELECT {sms_in_outbox}, {epoch.format('published_at')} FROM {sp}.outbox"
            " WHERE topic = 'sms.status.v1'"
            " AND convert_from(payload, 'UTF8')::jsonb ->> 'state' = 'delivered'",
        ),
        "delivered_visible": await _pairs(
            conn,
            f"SELECT sms_id, {epoch.format('updated_at')} FROM {rp}.sms_tracking"
            " WHERE sms_id = ANY($1::uuid[]) AND state = 'delivered'",
            ids,
        ),
    }
    wanted = set(ids)
    return {name: {k: v for k, v in got.items() if k in wanted} for name, got in stages.items()}


# (key in collect(), label, service, where the moment comes from)
STAGES = (
    ("diffused", "Diffuser answered", "events", "the school's Diffuser request answered"),
    ("requested_published", "outbox relay", "events", "events.outbox.published_at"),
    ("dispatcher_queued", "consumed", "dispatcher", "dispatcher.send_queue.queued_at"),
    ("operator_submitted", "sent to operator", "dispatcher", "dispatcher.send_queue.finished_at"),
    ("submitted_published", "outbox relay", "dispatcher", "dispatcher.outbox.published_at"),
    ("poller_tracked", "consumed", "status-poller", "status_poller.tracked_sms.created_at"),
    ("delivered_published", "délivré published", "status-poller", "status_poller.outbox"),
    ("delivered_visible", "délivré visible", "reporting", "reporting.sms_tracking.updated_at"),
)


async def average_message_bytes(conn: asyncpg.Connection[Any], schema: str) -> int:
    """The mean size of the sms.requested.v1 payloads the events service published."""
    size = await conn.fetchval(
        f"SELECT avg(octet_length(payload)) FROM {schema}.outbox WHERE topic = 'sms.requested.v1'"
    )
    return int(size or 0)


@dataclass
class PhaseA:
    """The burst: "Diffuser" → "délivré" visible."""

    diffusion: Diffusion
    ids: list[UUID]
    school_of: dict[UUID, str]
    moments: dict[str, dict[UUID, float]]
    finished: float
    cpu: dict[str, float]  # CPU seconds used during the burst, per process
    message_bytes: int


async def run_burst(
    target: Target,
    conn: asyncpg.Connection[Any],
    ids: list[UUID],
    school_of: dict[UUID, str],
    *,
    concurrency: int,
    stall_s: float,
) -> PhaseA:
    uais = sorted(set(school_of.values()))
    cpu_before = sample_cpu(target)
    _log(f"Diffuser for {len(uais)} schools ({len(ids)} SMS)")
    diffusion = await diffuse_all(target.url("events"), uais, concurrency)
    _log(
        f"Diffuser answered: {diffusion.diffused} diffused, {diffusion.stopped} stopped, "
        f"{time.time() - diffusion.t0:.1f}s after the first request"
    )
    await wait_until(
        conn,
        f"SELECT count(*) FROM {target.schemas['reporting']}.sms_tracking"
        " WHERE state = 'delivered' AND sms_id = ANY($1::uuid[])",
        [ids],
        len(ids),
        what="délivré visible in reporting",
        stall_s=stall_s,
    )
    finished = time.time()
    cpu_after = sample_cpu(target)
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    moments = await collect(conn, target.schemas, ids)
    # The SMS of a school are queued when its Diffuser transaction commits: its answer.
    answered = {u: diffusion.clicks[u] + diffusion.seconds[u] for u in diffusion.clicks}
    moments["diffused"] = {
        sms: answered[school_of[sms]] for sms in moments["diffused"] if sms in school_of
    }
    size = await average_message_bytes(conn, target.schemas["events"])
    return PhaseA(diffusion, ids, school_of, moments, finished, cpu, size)


def burst_figures(phase: PhaseA) -> dict[str, Any]:
    """The JSON figures of the burst."""
    t0 = phase.diffusion.t0
    visible = phase.moments["delivered_visible"]
    last = max(visible.values()) if visible else phase.finished
    seconds = last - t0
    clicks = phase.diffusion.clicks
    return {
        "end_to_end": {
            "sms": len(phase.ids),
            "diffused": phase.diffusion.diffused,
            "stopped_at_diffusion": phase.diffusion.stopped,
            "delivered_visible": len(visible),
            "seconds": round(seconds, 3),
            "sms_per_s": round(len(visible) / seconds, 1) if seconds > 0 else None,
        },
        "diffuse_requests_s": figures.distribution(phase.diffusion.seconds.values()),
        "stages": [
            figures.stage(label, service, source, phase.moments[key].values(), t0)
            for key, label, service, source in STAGES
        ],
        "latency_s": {
            "diffuser_to_operator_submission": figures.distribution(
                figures.latencies(phase.moments["operator_submitted"], clicks, phase.school_of)
            ),
            "diffuser_to_delivered_visible": figures.distribution(
                figures.latencies(visible, clicks, phase.school_of)
            ),
        },
        "curves": {
            key: figures.curve(phase.moments[key].values(), t0) for key, _l, _s, _w in STAGES
        },
        "cpu_s": {name: round(value, 2) for name, value in phase.cpu.items()},
        "cpu_s_per_1000_sms": {
            name: figures.per_thousand(value, len(visible)) for name, value in phase.cpu.items()
        },
    }


async def poll_cycle(
    target: Target,
    conn: asyncpg.Connection[Any],
    ids: list[UUID],
    school_of: dict[UUID, str],
    *,
    concurrency: int,
    stall_s: float,
) -> dict[str, Any]:
    """One status-poll cycle over every SMS in transit.

    The SMS were diffused to accounts that deliver only after an hour, and the status-poller
    runs with an hour between polls: once every SMS is en transit and none has been asked yet,
    "Mettre à jour" is pressed for every school and the cycle lasts until the poller has recorded
    an answer for each SMS (its own `updated_at`, with `polls` counted up).
    """
    sp = target.schemas["status-poller"]
    uais = sorted(set(school_of.values()))
    diffusion = await diffuse_all(target.url("events"), uais, concurrency)
    _log(f"poll cycle: {diffusion.diffused} SMS diffused to slow accounts")
    in_transit = await wait_until(
        conn,
        f"SELECT count(*) FROM {sp}.tracked_sms WHERE sms_id = ANY($1::uuid[])"
        " AND state = 'in_transit' AND polls = 0",
        [ids],
        len(ids),
        what="poll cycle: en transit in the status-poller",
        stall_s=stall_s,
    )
    requests_before = await _status_requests(target)
    started = time.time()
    async with seed.client(target.url("reporting")) as client:
        limit = asyncio.Semaphore(concurrency)

        async def refresh(uai: str) -> None:
            async with limit:
                response = await client.post(
                    f"/api/v1/schools/{uai}/sms/refresh", headers=staff_headers(uai)
                )
            if response.status_code != 202:
                raise RuntimeError(f"Mettre à jour refused for {uai}: {response.status_code}")

        await asyncio.gather(*(refresh(uai) for uai in uais))
    polled = await wait_until(
        conn,
        f"SELECT count(*) FROM {sp}.tracked_sms WHERE sms_id = ANY($1::uuid[]) AND polls >= 1",
        [ids],
        in_transit,
        what="poll cycle: SMS asked once",
        stall_s=stall_s,
    )
    row = await conn.fetchrow(
        f"SELECT extract(epoch FROM min(updated_at)) AS first,"
        f" extract(epoch FROM max(updated_at)) AS last"
        f" FROM {sp}.tracked_sms WHERE sms_id = ANY($1::uuid[]) AND polls >= 1",
        ids,
    )
    requests_after = await _status_requests(target)
    last = float(row["last"]) if row and row["last"] is not None else time.time()
    first = float(row["first"]) if row and row["first"] is not None else last
    seconds = last - started
    return {
        "sms_in_transit": in_transit,
        "sms_polled": polled,
        "schools": len(uais),
        "status_requests": None
        if requests_before is None or requests_after is None
        else int(requests_after - requests_before),
        "seconds_from_refresh": round(seconds, 3),
        "seconds_first_to_last_answer": round(last - first, 3),
        "sms_per_s": round(polled / seconds, 1) if seconds > 0 else None,
    }


async def _status_requests(target: Target) -> float | None:
    """Status requests the status-poller has made (its own counter on /metrics)."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{target.url('status-poller')}/metrics")).text
    except httpx.HTTPError:
        return None
    total = 0.0
    for line in text.splitlines():
        if line.startswith("sms_status_polls_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total

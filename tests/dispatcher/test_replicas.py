"""Two dispatcher replicas share the 12 partitions and the send queue: both do work, and killing
one (SIGKILL, mid-call) loses nothing and sends nothing twice."""

from __future__ import annotations

import re

import httpx
import pytest
from support.kafka_probe import eventually
from support.processes import base_url, service_process

SCHOOLS = [f"07501{n:02d}X" for n in range(12)]
PER_SCHOOL = 60


def submitted(metrics: str) -> float:
    pattern = r'^sms_dispatcher_submitted_total\{[^}]*state="in_transit"[^}]*\} (\S+)$'
    return sum(float(v) for v in re.findall(pattern, metrics, re.MULTILINE))


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_two_replicas_share_the_work_and_killing_one_loses_and_duplicates_nothing(
    bench, logs_dir
) -> None:
    accounts = {uai: await bench.school(uai) for uai in SCHOOLS}
    for account in accounts.values():
        # Calls take a while, so that the kill lands mid-call and both replicas get lanes.
        await bench.operator(account, latency_ms=300, max_batch=500)
    env = bench.isolation.env()
    env.update(sending_timeout_s="4", operator_timeout_s="2", sender_tick_s="0.1")
    replicas = []
    for n in range(2):
        (logs_dir / f"r{n}").mkdir()
        replicas.append(service_process("dispatcher", env, log_dir=logs_dir / f"r{n}"))
    for replica in replicas:
        replica.start()
    try:
        for replica in replicas:
            await replica.wait_ready(120)
        ids: set[str] = set()
        for uai in SCHOOLS:
            ids |= {str(i) for i in await bench.request(uai, PER_SCHOOL, by_key=True)}

        async with httpx.AsyncClient(timeout=5) as client:

            async def both_worked() -> bool:
                counts = [
                    submitted((await client.get(f"{base_url(r)}/metrics")).text) for r in replicas
                ]
                return all(c > 0 for c in counts)

            await eventually(both_worked, timeout=60, interval=0.1)
        replicas[0].kill()

        async def settled() -> bool:
            total = 0
            for uai in SCHOOLS:
                states = await bench.states(uai)
                total += states["in_transit"] + states["unconfirmed"]
            return total == len(ids)

        await eventually(settled, timeout=120, interval=0.5)
    finally:
        for replica in replicas:
            if replica.running():
                replica.terminate()

    for uai, account in accounts.items():
        sent = await bench.submissions(account)
        assert not sent or max(sent.values()) == 1, f"{uai}: an SMS was accepted twice"
        rows = await bench.rows(uai)
        assert len(rows) == PER_SCHOOL
        in_transit = {str(r["sms_id"]) for r in rows if r["state"] == "in_transit"}
        assert in_transit <= set(sent)

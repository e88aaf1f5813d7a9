"""The dispatcher killed with SIGKILL while its operator call is in flight, then restarted: every
SMS ends accepted exactly once (reconciled by client reference), or "à vérifier" where the outcome
stayed unknown; never sent twice."""

from __future__ import annotations

import pytest
from support.kafka_probe import eventually
from support.processes import service_process

SCHOOL = "0750021K"
COUNT = 1000


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_dispatcher_killed_mid_batch_never_sends_an_sms_twice(bench, logs_dir) -> None:
    account = await bench.school(SCHOOL)
    # Each call takes 0.8 s at the operator: the kill lands while a batch is on the wire.
    await bench.operator(account, latency_ms=800)
    env = bench.isolation.env()
    env.update(
        sending_timeout_s="4",
        operator_timeout_s="2",
        retry_base_s="0.2",
        retry_max_s="1",
        sender_tick_s="0.1",
    )
    dispatcher = service_process("dispatcher", env, log_dir=logs_dir)
    dispatcher.start()
    try:
        await dispatcher.wait_ready(120)
        ids = {str(i) for i in await bench.request(SCHOOL, COUNT)}

        async def on_the_wire() -> bool:
            return (await bench.states(SCHOOL))["sending"] > 0

        await eventually(on_the_wire, timeout=60, interval=0.05)
        dispatcher.kill()
        killed_with = await bench.states(SCHOOL)
        assert killed_with["sending"] > 0

        dispatcher.start()
        await dispatcher.wait_ready(120)

        async def settled() -> bool:
            states = await bench.states(SCHOOL)
            return states["in_transit"] + states["unconfirmed"] == COUNT

        await eventually(settled, timeout=180, interval=0.5)
    finally:
        if dispatcher.running():
            dispatcher.terminate()

    sent = await bench.submissions(account)
    assert set(sent) <= ids
    assert max(sent.values()) == 1, "an SMS was accepted twice"
    rows = await bench.rows(SCHOOL)
    in_transit = {str(r["sms_id"]) for r in rows if r["state"] == "in_transit"}
    assert in_transit <= set(sent), "recorded as sent but the operator never got it"
    unconfirmed = {str(r["sms_id"]) for r in rows if r["state"] == "unconfirmed"}
    assert in_transit | unconfirmed == ids

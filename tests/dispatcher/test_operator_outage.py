"""School A's operator account fails (connections dropped, then 503, then 429, then answers too
slowly) while school B, on the same Kafka partition, keeps sending without delay; once A's operator
is back, every one of A's SMS is accepted exactly once. A malformed request on that partition is
dead-lettered while the rest flow."""

from __future__ import annotations

from typing import Any

import pytest
from support.kafka_probe import eventually, read_all

from dispatcher.main import build_app
from dispatcher.settings import DispatcherSettings
from shared.contracts.topics import SMS_REQUESTED, dead_letter_topic

A, B = "0750001A", "0750002B"
A_SMS = 600


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_one_schools_operator_outage_never_holds_up_another_and_nothing_is_sent_twice(
    bench,
) -> None:
    settings = bench.isolation.settings(
        DispatcherSettings,
        retry_base_s=0.2,
        retry_max_s=1.0,
        sending_timeout_s=4.0,
        operator_timeout_s=2.0,
        circuit_cooldown_s=0.5,
        consumer_max_attempts=2,
    )
    account_a = await bench.school(A)
    account_b = await bench.school(B)
    await bench.operator(account_a, outage={"mode": "drop"})
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        # A malformed message first on the partition: it goes to the dead letters, the rest flow.
        topic = bench.isolation.prefix + SMS_REQUESTED
        await bench.producer.send_and_wait(topic, b"{not json", key=A.encode(), partition=0)
        a_ids = await bench.request(A, A_SMS)

        phases: list[dict[str, Any]] = [
            {"outage": {"mode": "drop"}},
            {"outage": {"mode": "503", "retry_after_s": 1}},
            {"outage": {"mode": "429", "retry_after_s": 1}},
            # Slower than the dispatcher waits: the operator accepts after the client gave up.
            {"outage": {"mode": "none"}, "latency_ms": 2500},
        ]
        for outage in phases:
            await bench.operator(account_a, **outage)
            b_ids = await bench.request(B, 20)

            async def b_sent(ids: list = b_ids) -> bool:  # type: ignore[type-arg]
                sent = await bench.submissions(account_b)
                return all(str(i) in sent for i in ids)

            # B's SMS all leave while A's operator is still failing: B never waits for A (how
            # fast is the benchmark's business, not this test's).
            await eventually(b_sent, timeout=60, interval=0.1)
            if outage["outage"]["mode"] != "none":
                assert await bench.submissions(account_a) == {}, "A's operator accepted"
                assert (await bench.states(A)).get("in_transit", 0) == 0, f"A sent in {outage}"

        await bench.operator(account_a, outage={"mode": "none"}, latency_ms=0)

        async def a_sent() -> bool:
            return (await bench.states(A)).get("in_transit", 0) == A_SMS

        await eventually(a_sent, timeout=120, interval=0.5)

        dlq = bench.isolation.prefix + dead_letter_topic(SMS_REQUESTED, "dispatcher")

        async def dead_lettered() -> bool:
            return len(await read_all(bench.isolation.infra.kafka_bootstrap, dlq, settle=0)) == 1

        await eventually(dead_lettered, timeout=30)

    sent_a = await bench.submissions(account_a)
    assert set(sent_a) == {str(i) for i in a_ids}
    assert max(sent_a.values()) == 1, "an SMS was accepted twice"
    sent_b = await bench.submissions(account_b)
    assert len(sent_b) == 80 and max(sent_b.values()) == 1
    assert await bench.states(B) == {"in_transit": 80}

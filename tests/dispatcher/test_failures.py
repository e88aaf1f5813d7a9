"""How each school's failure ends, on the real Kafka, PostgreSQL and simulator: wrong credentials
fail at once with the advice; an unknown school's SMS wait a bounded time then fail "no provider";
a dead operator opens its circuit, is not hammered, and its SMS fail "operator_unreachable" with
the seed's message once too old; quiet hours hold SMS until the window ends; provider.health.v1
tells each change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.kafka_probe import eventually

from dispatcher.domain.reasons import MESSAGES_FR, OPERATOR_UNREACHABLE
from dispatcher.main import build_app
from dispatcher.settings import DispatcherSettings

WRONG, UNKNOWN, DEAD, QUIET, FINE = "0750011A", "0750012B", "0750013C", "0750014D", "0750015E"


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_each_schools_failure_ends_with_its_reason_while_the_others_send(bench) -> None:
    settings = bench.isolation.settings(
        DispatcherSettings,
        retry_base_s=0.1,
        retry_max_s=0.3,
        max_queue_age_s=4.0,
        no_provider_wait_s=2.0,
        circuit_threshold=2,
        circuit_cooldown_s=1.0,
        health_interval_s=0.5,
    )
    wrong = await bench.school(WRONG, password="not-the-one")
    await bench.operator(wrong, password="the-right-one")
    dead = await bench.school(DEAD)
    await bench.operator(dead, outage={"mode": "503", "retry_after_s": 0})
    local = datetime.now(ZoneInfo("Europe/Paris"))
    window = ((local - timedelta(hours=1)).time(), (local + timedelta(hours=1)).time())
    quiet = await bench.school(QUIET, quiet_hours=window)
    fine = await bench.school(FINE)

    app = build_app(settings)
    async with app.router.lifespan_context(app):
        for uai in (WRONG, UNKNOWN, DEAD, QUIET, FINE):
            await bench.request(uai, 5)

        async def settled() -> bool:
            for uai in (WRONG, UNKNOWN, DEAD, FINE):
                states = await bench.states(uai)
                if states["failed"] + states["in_transit"] != 5:
                    return False
            return len(await bench.rows(QUIET)) == 5

        await eventually(settled, timeout=60, interval=0.2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            metrics = (await client.get("/metrics")).text

    assert await bench.states(FINE) == {"in_transit": 5}
    assert len(await bench.submissions(fine)) == 5

    for uai, reason in (
        (WRONG, "bad_credentials"),
        (UNKNOWN, "no_provider"),
        (DEAD, "operator_unreachable"),
    ):
        rows = await bench.rows(uai)
        assert {(r["state"], r["reason_code"]) for r in rows} == {("failed", reason)}, uai
        rejected = await bench.published("sms.rejected.v1", uai)
        assert len(rejected) == 5
        assert {m["message_fr"] for m in rejected} == {MESSAGES_FR[reason]}
    assert MESSAGES_FR["operator_unreachable"] == OPERATOR_UNREACHABLE
    assert "vérifier la clé d'identification" in MESSAGES_FR["bad_credentials"]
    assert await bench.submissions(wrong) == {}

    # Quiet hours: nothing left, the SMS wait for the end of the window.
    assert await bench.submissions(quiet) == {}
    rows = await bench.rows(QUIET)
    assert {r["state"] for r in rows} == {"queued"}
    window_end = datetime.combine(local.date(), window[1], tzinfo=ZoneInfo("Europe/Paris"))
    if window[1] < window[0]:
        window_end += timedelta(days=1)
    for row in rows:
        assert abs(row["next_attempt_at"] - window_end) < timedelta(seconds=1)

    # The dead operator's circuit opened (told once per change) and it was not hammered.
    health = await bench.published("provider.health.v1", DEAD)
    states = [h["circuit_state"] for h in health]
    assert "open" in states
    opened = next(h for h in health if h["circuit_state"] == "open")
    assert opened["reachable"] is False
    assert opened["last_error_code"] == "operator_unreachable"
    assert opened["last_error_fr"] == OPERATOR_UNREACHABLE
    assert opened["waiting_sms"] == 5
    wrong_health = await bench.published("provider.health.v1", WRONG)
    assert wrong_health and wrong_health[-1]["last_error_code"] == "bad_credentials"
    assert all(datetime.fromisoformat(h["checked_at"]) <= datetime.now(UTC) for h in health)

    # Metrics: by operator and reason, never by school.
    assert (
        'sms_dispatcher_failed_total{operator="simulator",reason="bad_credentials",'
        'service="dispatcher"} 5.0'
    ) in metrics
    assert 'reason="operator_unreachable"' in metrics
    assert (
        'sms_dispatcher_submitted_total{operator="simulator",service="dispatcher",'
        'state="in_transit"} 5.0' in metrics
    )
    assert "sms_dispatcher_operator_request_seconds_bucket" in metrics
    assert "sms_dispatcher_retries_total" in metrics
    assert 'sms_dispatcher_circuits{service="dispatcher",state="open"}' in metrics
    assert "sms_dispatcher_oldest_waiting_seconds" in metrics
    assert 'sms_dispatcher_schools_waiting{service="dispatcher",waiting="1-9"}' in metrics
    for uai in (WRONG, UNKNOWN, DEAD, QUIET, FINE):
        assert uai not in metrics

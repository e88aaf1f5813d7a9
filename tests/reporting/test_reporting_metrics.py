"""The business metrics: counters kept with the read model, sampled across schools, shown on
/metrics without any school, pupil or phone label."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

import httpx
from reporting_support import (
    DIFFUSED,
    OTHER_UAI,
    apply,
    rejected,
    requested,
    seed,
    status,
    submitted,
)
from support.kafka_probe import eventually

from reporting.app.ops_metrics import sample_ops_metrics
from reporting.domain.facts import requested_fact, status_fact, submitted_fact
from reporting.domain.ops_metrics import (
    LATENCY_BUCKETS,
    bucket_of,
    latency_deltas,
    state_deltas,
)
from reporting.domain.tracking import fold
from reporting.entrypoints.metrics import METRIC_NAMES
from reporting.main import build_app


def figures(snapshot) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(f.operator, f.state, f.reason): (f.current, f.reached) for f in snapshot.states}


def test_a_new_row_enters_its_state_once_and_a_replay_moves_nothing() -> None:
    sms_id = uuid4()
    row = fold(None, [requested_fact(requested(sms_id))])
    [delta] = state_deltas([(None, row)])
    assert (delta.key.state, delta.current, delta.reached) == ("queued", 1, 1)
    assert state_deltas([(row, row)]) == []


def test_a_state_change_moves_current_and_counts_the_new_state_reached() -> None:
    sms_id = uuid4()
    queued = fold(None, [requested_fact(requested(sms_id))])
    sent = fold(queued, [submitted_fact(submitted(sms_id))])
    moves = {
        (d.key.operator, d.key.state): (d.current, d.reached)
        for d in state_deltas([(queued, sent)])
    }
    assert moves == {("", "queued"): (-1, 0), ("smsfrance", "in_transit"): (1, 1)}


def test_delivery_time_is_observed_once_from_diffuser_to_the_report() -> None:
    sms_id = uuid4()
    queued = fold(None, [requested_fact(requested(sms_id))])
    done = fold(
        queued,
        [status_fact(status(sms_id, "delivered", changed_at=DIFFUSED + timedelta(minutes=3)))],
    )
    [delta] = latency_deltas([(queued, done)])
    assert (delta.count, delta.seconds) == (1, 180.0)
    assert LATENCY_BUCKETS[delta.key.bucket] == 300
    assert latency_deltas([(done, done)]) == []


def test_a_delivery_known_before_its_request_is_timed_when_the_request_comes() -> None:
    sms_id = uuid4()
    early = fold(None, [status_fact(status(sms_id, "delivered"))])
    assert latency_deltas([(None, early)]) == []
    complete = fold(early, [requested_fact(requested(sms_id))])
    [delta] = latency_deltas([(early, complete)])
    assert delta.seconds == 300.0


def test_bucket_bounds_are_inclusive() -> None:
    assert bucket_of(10) == 0 and bucket_of(10.5) == 1 and bucket_of(10**9) == len(LATENCY_BUCKETS)


async def test_sampled_figures_sum_every_school_and_survive_replays(reporting_db) -> None:
    _, pool = reporting_db
    await seed(pool)
    first = await sample_ops_metrics(pool, stuck_after=timedelta(minutes=30), dead_letters={})
    await seed(pool)  # new SMS ids: twice the SMS
    again = await sample_ops_metrics(pool, stuck_after=timedelta(minutes=30), dead_letters={})
    delivered_once = sum(c for (_, s, _), (c, _) in figures(first).items() if s == "delivered")
    delivered_twice = sum(c for (_, s, _), (c, _) in figures(again).items() if s == "delivered")
    # The seed delivers one SMS in each of two schools.
    assert (delivered_once, delivered_twice) == (2, 4)
    invalid = {k: v for k, v in figures(first).items() if k[1] == "invalid"}
    assert invalid == {("", "invalid", "invalid_number"): (1, 1)}
    # Every SMS is in exactly one state: the current figures add up to the rows.
    assert sum(c for c, _ in figures(first).values()) == 8


async def test_an_sms_in_transit_for_too_long_is_stuck(reporting_db) -> None:
    _, pool = reporting_db
    old, recent = uuid4(), uuid4()
    await apply(
        pool,
        [
            requested(old),
            submitted(old, provider_code="sim", submitted_at=DIFFUSED),
            requested(recent, uai=OTHER_UAI),
            submitted(
                recent, uai=OTHER_UAI, provider_code="sim", submitted_at=DIFFUSED.replace(year=2099)
            ),
        ],
    )
    snapshot = await sample_ops_metrics(pool, stuck_after=timedelta(hours=1), dead_letters={})
    assert snapshot.stuck == {"sim": 1}


async def test_metrics_route_shows_the_business_metrics_without_school_labels(
    reporting_db, topics
) -> None:
    settings, pool = reporting_db
    await topics()
    await seed(pool)
    sms_id = uuid4()
    await apply(
        pool,
        [
            requested(sms_id),
            submitted(sms_id, provider_code="sim"),
            rejected(sms_id, state="failed", reason_code="no_credit"),
        ],
    )
    app = build_app(settings.model_copy(update={"metrics_interval_s": 0.2}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):

        async def sampled() -> bool:
            text = (await client.get("/metrics")).text
            return 'sms_dead_letter_messages{topic="sms.status.v1.reporting.dlq"} 0.0' in text

        await eventually(sampled, timeout=30, interval=0.2)
        text = (await client.get("/metrics")).text
    for name in METRIC_NAMES:
        assert re.search(rf"^{name}(_bucket|_count|_sum)?({{| )", text, re.M), name
    assert 'sms_failures_total{operator="sim",reason="no_credit",state="failed"} 1.0' in text
    assert 'sms_by_state{operator="unknown",state="delivered"} 2.0' in text
    assert 'sms_delivery_ratio{operator="unknown"} 0.6666666666666666' in text
    for private in ("uai", "0750001A", OTHER_UAI, "MARTIN", "pupil", "+33"):
        assert private not in text


async def test_dead_letter_sizes_count_what_each_dlq_topic_holds(infra, isolation, topics) -> None:
    from aiokafka import AIOKafkaProducer

    from reporting.adapters.dead_letter_sizes import DeadLetterSizes, dead_letter_topics
    from shared.contracts.topics import TopicNaming

    await topics()
    dlq = "sms.status.v1.reporting.dlq"
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(isolation.prefix + dlq, b"{}", key=b"0750001A")
    finally:
        await producer.stop()
    reader = DeadLetterSizes(
        infra.kafka_bootstrap, TopicNaming(isolation.prefix), client_id="test-dlq-sizes"
    )
    try:
        sizes = await reader.sizes()
    finally:
        await reader.stop()
    assert sizes == {name: 2 if name == dlq else 0 for name in dead_letter_topics()}


def test_tab_counts_move_with_the_tab_of_a_listed_sms() -> None:
    from reporting.domain.tracking import tab_deltas

    sms_id = uuid4()
    status_only = fold(None, [status_fact(status(sms_id, "in_transit"))])
    assert tab_deltas([(None, status_only)]) == []  # not listed before its request
    listed = fold(status_only, [requested_fact(requested(sms_id))])
    delivered = fold(listed, [status_fact(status(sms_id, "delivered"))])
    moves = tab_deltas([(status_only, listed), (listed, delivered)])
    assert {(d.key.tab, d.count) for d in moves} == {("delivered", 1)}
    assert tab_deltas([(delivered, delivered)]) == []


async def test_stuck_in_transit_reads_the_partial_index_not_the_whole_table(reporting_db) -> None:
    from reporting.adapters.ops_metrics_repository import STUCK_SQL
    from shared.db.pool import set_all_schools_scope

    _, pool = reporting_db
    async with pool.acquire() as conn, conn.transaction():
        await set_all_schools_scope(conn, "test: plan of the stuck query")
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        # The generic plan: what a prepared statement ends up with after a few executions.
        await conn.execute(f"PREPARE stuck_query(interval) AS {STUCK_SQL}")
        lines = await conn.fetch("EXPLAIN EXECUTE stuck_query('1 hour')")
        await conn.execute("DEALLOCATE stuck_query")
    plan = "\n".join(line[0] for line in lines)
    assert "sms_tracking_awaiting_answer_idx" in plan, plan

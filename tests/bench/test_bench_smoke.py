"""The load benchmark's measurement code on a tiny burst against the session's Kafka and
PostgreSQL, and its report and chart builders on fabricated figures. No timing assertion: speed
is what the benchmark reports, not what a test checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import defusedxml.ElementTree as ET
import pytest

from bench import chart, figures, procstat, report
from bench.measure import STAGES
from bench.run import BenchOptions, benchmark
from bench.stack import StackOptions, Target, start_processes, stop_processes, wait_ready

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_small_burst_is_followed_through_every_stage(
    isolation: Any, topics: Any, tmp_path: Path
) -> None:
    await topics()
    schemas = {
        name: f"{isolation.schema}_{name.replace('-', '_')}"
        for name in ("events", "dispatcher", "status-poller", "reporting")
    }
    processes = start_processes(
        logs=tmp_path / "logs",
        common=isolation.env(),
        options=StackOptions(poll_interval_s=0.5),
        schemas=schemas,
    )
    try:
        await wait_ready(processes, 120)
        target = Target(
            admin_dsn=isolation.infra.admin_dsn,
            database=urlparse(isolation.infra.owner_dsn).path.lstrip("/"),
            kafka_bootstrap=isolation.infra.kafka_bootstrap,
            topic_prefix=isolation.prefix,
            schemas=schemas,
            processes=processes,
        )
        result = await benchmark(
            target, BenchOptions(schools=2, sms=7, poll_sms=3, delivery_delay_s=0.1, stall_s=45)
        )
    finally:
        stop_processes(processes)

    burst = result["burst"]
    assert burst["end_to_end"]["delivered_visible"] == 7
    assert {s["source"]: s["count"] for s in burst["stages"]} == {
        source: 7 for _k, _l, _s, source in STAGES
    }
    assert burst["latency_s"]["diffuser_to_delivered_visible"]["count"] == 7
    assert set(result["peak_memory_mib"]) >= {"events", "dispatcher", "status-poller", "reporting"}
    assert result["raw_kafka"]["messages"] == 7
    assert result["poll_cycle"]["sms_polled"] == 3
    json.dumps(result)


def _fabricated() -> dict[str, Any]:
    t0 = 1_000.0
    moments = {
        key: [t0 + 1 + i * 0.01 + rank for i in range(500)]
        for rank, (key, *_r) in enumerate(STAGES)
    }
    burst = {
        "end_to_end": {
            "sms": 500,
            "diffused": 500,
            "stopped_at_diffusion": 0,
            "delivered_visible": 500,
            "seconds": 12.5,
            "sms_per_s": 40.0,
        },
        "diffuse_requests_s": figures.distribution([0.2, 0.4, 0.9]),
        "stages": [
            figures.stage(label, service, source, moments[key], t0)
            for key, label, service, source in STAGES
        ],
        "latency_s": {
            "diffuser_to_operator_submission": figures.distribution([1.0, 2.0, 3.0]),
            "diffuser_to_delivered_visible": figures.distribution([4.0, 5.0, 6.0]),
        },
        "curves": {key: figures.curve(values, t0) for key, values in moments.items()},
        "cpu_s": {"events": 2.0, "kafka": 4.0},
        "cpu_s_per_1000_sms": {"events": 4.0, "kafka": 8.0},
    }
    return report.build(
        parameters={"schools": 5, "sms": 500},
        machine_info=report.machine(1.0, 2.0),
        setup_s={"schools": 3.0},
        burst=burst,
        memory={"events": 100 * report.MIB, "kafka": None},
        raw_kafka={
            "messages": 500,
            "message_bytes": 800,
            "produce_per_s": 900.0,
            "produce_consume_per_s": 800.0,
        },
        poll_cycle={"sms_in_transit": 500, "seconds_from_refresh": 2.0, "status_requests": 5},
        started_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


def test_the_ratio_is_the_pipeline_rate_over_the_raw_broker_rate() -> None:
    assert _fabricated()["pipeline_to_raw_ratio"] == 0.05


def test_the_chart_draws_one_curve_per_stage_up_to_the_total() -> None:
    svg = ET.fromstring(chart.render(_fabricated()))
    lines = svg.findall(f"{SVG}polyline")
    assert len(lines) == len(STAGES)
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "40.0 SMS/s" in texts
    assert "pipeline/raw = 0.050" in texts


def test_the_summary_lists_every_stage_and_process() -> None:
    text = report.summary(_fabricated())
    for _key, label, service, _source in STAGES:
        assert f"{service}: {label}" in text
    assert "events" in text and "100.0" in text  # peak RSS in MiB


def test_stage_rates_come_from_the_moments_of_the_stage() -> None:
    moments = [10.0 + i * 0.5 for i in range(11)]  # 11 SMS over 5 s
    stage = figures.stage("relay", "events", "outbox", moments, t0=10.0)
    assert stage["count"] == 11
    assert stage["done_s"] == 5.0
    assert stage["rate_span"] == 2.2
    assert stage["rate_10_90"] == 2.2  # 0.8 × 11 SMS over the 4 s between p10 and p90


def test_percentiles_interpolate_between_ranks() -> None:
    assert figures.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert figures.distribution([]) == {
        "count": 0,
        "p50": None,
        "p95": None,
        "p99": None,
        "max": None,
    }


def test_reports_are_written_as_json_and_svg_side_by_side(tmp_path: Path) -> None:
    json_path, svg_path = report.write(_fabricated(), tmp_path / "bench-results")
    assert json.loads(json_path.read_text())["burst"]["end_to_end"]["sms"] == 500
    assert svg_path.with_suffix(".json") == json_path
    ET.fromstring(svg_path.read_text())


def test_latencies_count_from_the_school_s_own_diffuser() -> None:
    ends = {"a": 15.0, "b": 17.0, "stray": 30.0}
    starts = {"X": 10.0, "Y": 12.0}
    assert sorted(figures.latencies(ends, starts, {"a": "X", "b": "Y"})) == [5.0, 5.0]


def test_curves_are_thinned_but_end_on_the_total() -> None:
    points = figures.curve([float(i) for i in range(1000)], t0=0.0, points=50)
    assert len(points) <= 52
    assert points[0] == [0.0, 1]
    assert points[-1] == [999.0, 1000]
    assert [p[1] for p in points] == sorted(p[1] for p in points)


def test_peak_memory_is_read_for_a_live_process_only() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert (procstat.peak_rss_bytes(os.getpid()) or 0) > 1024 * 1024
    assert procstat.peak_rss_bytes(child.pid) is None


def test_cpu_of_a_process_tree_includes_its_live_children() -> None:
    burner = (
        "import os, time\n"
        "while sum(os.times()[:2]) < 0.2: pass\n"
        "print('busy', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", burner], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"busy\n"
        own = procstat.own_cpu_seconds(os.getpid(), with_reaped_children=True)
        assert procstat.tree_cpu_seconds(os.getpid()) >= own + 0.2
    finally:
        child.kill()
        child.wait()

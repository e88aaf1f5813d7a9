"""The benchmark's report: one JSON document, a readable summary, and the chart next to it."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import chart

MIB = 1024 * 1024


def machine(load_before: float, load_after: float) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }


def build(
    *,
    parameters: dict[str, Any],
    machine_info: dict[str, Any],
    setup_s: dict[str, float],
    burst: dict[str, Any],
    memory: dict[str, int | None],
    raw_kafka: dict[str, Any] | None,
    poll_cycle: dict[str, Any] | None,
    started_at: datetime,
) -> dict[str, Any]:
    """The whole report; `pipeline_to_raw_ratio` is the end-to-end SMS/s over the raw aiokafka
    produce+consume rate measured in the same run."""
    e2e = burst["end_to_end"]["sms_per_s"]
    raw = (raw_kafka or {}).get("produce_consume_per_s")
    return {
        "title": "SMS absences: Diffuser → délivré visible, whole stack on one machine",
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "parameters": parameters,
        "machine": machine_info,
        "setup_s": {k: round(v, 1) for k, v in setup_s.items()},
        "burst": burst,
        "peak_memory_mib": {
            name: None if value is None else round(value / MIB, 1) for name, value in memory.items()
        },
        "raw_kafka": raw_kafka,
        "pipeline_to_raw_ratio": round(e2e / raw, 4) if e2e and raw else None,
        "poll_cycle": poll_cycle,
    }


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def summary(report: dict[str, Any]) -> str:
    """The report as a few readable lines and tables."""
    burst = report["burst"]
    lines = [report["title"], "=" * len(report["title"]), *chart.summary_lines(report), ""]
    lines.append(f"{'stage':<42}{'SMS':>8}{'first s':>9}{'done s':>9}{'SMS/s':>9}{'10-90%':>9}")
    for stage in burst["stages"]:
        name = f"{stage['service']}: {stage['name']}"
        lines.append(
            f"{name:<42}{stage['count']:>8}{_cell(stage['first_s']):>9}"
            f"{_cell(stage['done_s']):>9}{_cell(stage['rate_span']):>9}"
            f"{_cell(stage['rate_10_90']):>9}"
        )
    requests = burst["diffuse_requests_s"]
    lines += [
        "",
        f"Diffuser requests ({requests['count']} schools): p50 {requests['p50']} s, "
        f"p95 {requests['p95']} s, max {requests['max']} s",
        "",
        f"{'process':<16}{'peak RSS MiB':>14}{'CPU s':>9}{'CPU s/1000 SMS':>16}",
    ]
    memory = report["peak_memory_mib"]
    for name in [*memory, *(n for n in burst["cpu_s"] if n not in memory)]:
        lines.append(
            f"{name:<16}{_cell(memory.get(name)):>14}{_cell(burst['cpu_s'].get(name)):>9}"
            f"{_cell(burst['cpu_s_per_1000_sms'].get(name)):>16}"
        )
    raw = report.get("raw_kafka")
    if raw:
        lines += [
            "",
            f"Raw aiokafka, {raw['messages']} messages of {raw['message_bytes']} bytes: produce "
            f"{raw['produce_per_s']} msg/s, produce+consume {raw['produce_consume_per_s']} msg/s",
        ]
    return "\n".join(lines) + "\n"


def write(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """`<out_dir>/<timestamp>.json` and `.svg`; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = out_dir / f"{stamp}.json"
    svg_path = out_dir / f"{stamp}.svg"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    svg_path.write_text(chart.render(report))
    return json_path, svg_path

"""The benchmark's chart as a standalone SVG: each stage's cumulative SMS count against seconds
since the first "Diffuser", and the key figures underneath."""

from __future__ import annotations

from html import escape
from typing import Any

from .measure import STAGES

WIDTH, HEIGHT = 960, 560
LEFT, RIGHT, TOP, PLOT_HEIGHT = 80, 250, 50, 380
COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#333333")


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks if span > 0 else 1.0
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}".replace(",", " ")
    return f"{value:,}{unit}".replace(",", " ")


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render(report: dict[str, Any]) -> str:
    """The SVG document for a report built by `report.build`."""
    burst = report["burst"]
    curves: dict[str, list[list[float]]] = burst["curves"]
    total = max([p[1] for c in curves.values() for p in c] or [1])
    x_max = max([p[0] for c in curves.values() for p in c] or [1.0]) or 1.0
    plot_width = WIDTH - LEFT - RIGHT

    def x(seconds: float) -> float:
        return LEFT + plot_width * max(seconds, 0.0) / x_max

    def y(count: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - count / total)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="28" font-size="16" font-weight="bold">'
        f"{escape(report['title'])}</text>",
    ]
    step = _nice_step(x_max)
    tick = 0.0
    while tick <= x_max + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{TOP}" x2="{x(tick):.1f}" y2="{TOP + PLOT_HEIGHT}" '
            'stroke="#eee"/>'
            f'<text x="{x(tick):.1f}" y="{TOP + PLOT_HEIGHT + 16}" text-anchor="middle">'
            f"{tick:g}</text>"
        )
        tick += step
    y_step = _nice_step(total, 5)
    count = 0.0
    while count <= total + 1e-9:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(count):.1f}" x2="{LEFT + plot_width}" y2="{y(count):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y(count) + 4:.1f}" text-anchor="end">{count:g}</text>'
        )
        count += y_step
    parts += [
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_width}" height="{PLOT_HEIGHT}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{LEFT + plot_width / 2}" y="{TOP + PLOT_HEIGHT + 34}" text-anchor="middle">'
        "seconds since the first « Diffuser »</text>",
        f'<text x="18" y="{TOP + PLOT_HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {TOP + PLOT_HEIGHT / 2})">SMS (cumulative)</text>',
    ]
    for index, (key, label, service, _source) in enumerate(STAGES):
        colour = COLOURS[index % len(COLOURS)]
        points = curves.get(key, [])
        if points:
            start = [[points[0][0], 0]] if points[0][1] else []
            path = " ".join(f"{x(t):.1f},{y(c):.1f}" for t, c in [*start, *points])
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        legend_y = TOP + 10 + index * 20
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 15}" y1="{legend_y}" x2="{WIDTH - RIGHT + 35}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{WIDTH - RIGHT + 40}" y="{legend_y + 4}">'
            f"{escape(service)}: {escape(label)}</text>"
        )
    for row, line in enumerate(summary_lines(report)):
        parts.append(
            f'<text x="{LEFT}" y="{TOP + PLOT_HEIGHT + 62 + row * 18}">{escape(line)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The few figures printed under the chart."""
    burst = report["burst"]
    e2e = burst["end_to_end"]
    raw = report.get("raw_kafka") or {}
    sub = burst["latency_s"]["diffuser_to_operator_submission"]
    vis = burst["latency_s"]["diffuser_to_delivered_visible"]
    cycle = report.get("poll_cycle") or {}
    return [
        f"End to end: {_fmt(e2e['delivered_visible'])} SMS délivré visible in "
        f"{_fmt(e2e['seconds'], ' s')} = {_fmt(e2e['sms_per_s'], ' SMS/s')}; raw aiokafka "
        f"produce+consume {_fmt(raw.get('produce_consume_per_s'), ' msg/s')}; pipeline/raw = "
        f"{_ratio(report.get('pipeline_to_raw_ratio'))}",
        f"Latency Diffuser → operator p50/p95/p99 {_fmt(sub['p50'])}/{_fmt(sub['p95'])}/"
        f"{_fmt(sub['p99'])} s; → délivré visible {_fmt(vis['p50'])}/{_fmt(vis['p95'])}/"
        f"{_fmt(vis['p99'])} s",
        f"One status-poll cycle over {_fmt(cycle.get('sms_in_transit'))} SMS in transit: "
        f"{_fmt(cycle.get('seconds_from_refresh'), ' s')} "
        f"({_fmt(cycle.get('status_requests'))} status requests)",
        f"{report['parameters']['schools']} schools, {report['parameters']['sms']} SMS; "
        f"{report['machine']['cpus']} CPUs, load {report['machine']['load_before']} → "
        f"{report['machine']['load_after']}",
    ]

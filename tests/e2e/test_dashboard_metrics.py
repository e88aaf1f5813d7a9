"""Every metric the Grafana dashboard names is exported by some service after an end-to-end run
(one SMS delivered, one refused as an invalid number), with no school, pupil or phone label."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from support.demo_flow import lea_absence_sms
from support.kafka_probe import eventually
from support.running_platform import Platform, start_platform

from localinfra.demo import DEMO_ACCOUNT, DEMO_UAI, seed_demo

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sms-absences.json"
METRIC = re.compile(r"\b(sms_[a-z0-9_]+)\b")
# Subjects the operations team asked for, by panel title.
REQUIRED_PANELS = (
    "Débit",
    "Taux de délivrance par opérateur",
    "bloqués en transit",
    "Échecs par motif",
    "Retard des consommateurs",
    "lettres mortes",
)


def dashboard_metrics() -> tuple[set[str], list[str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    names: set[str] = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names |= set(METRIC.findall(target["expr"]))
    return names, [panel["title"] for panel in dashboard["panels"]]


def test_the_dashboard_covers_what_operations_asked_for() -> None:
    names, titles = dashboard_metrics()
    for subject in REQUIRED_PANELS:
        assert any(subject in title for title in titles), subject
    assert len(names) >= 8


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    async for running in start_platform(isolation, logs_dir, metrics_interval_s="0.5"):
        yield running


async def diffuse_to_both_guardians_of_lea(platform: Platform) -> list[str]:
    events, simulator = platform.urls["events"], platform.urls["simulator"]
    await seed_demo(events, simulator, delivery_delay_s=0.5)
    async with httpx.AsyncClient(timeout=10) as control:
        answer = await control.put(
            f"{simulator}/_control/accounts/{DEMO_ACCOUNT}",
            json={"outcomes": [{"pattern": "^\\+33600000002$", "outcome": "invalid"}]},
        )
        answer.raise_for_status()
    school = f"{events}/api/v1/schools/{DEMO_UAI}"
    async with httpx.AsyncClient(headers=platform.headers(), timeout=10) as api:
        _, created = await lea_absence_sms(api, school, roles=None)
        ids: list[str] = created["created"]
        diffused = (await api.post(f"{school}/sms/diffuse", json={"ids": ids})).json()
        assert sorted(diffused["diffused"]) == sorted(ids)
    return ids


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_every_dashboard_metric_is_exported_after_an_end_to_end_run(
    platform: Platform,
) -> None:
    ids = await diffuse_to_both_guardians_of_lea(platform)
    assert len(ids) == 2
    reporting = f"{platform.urls['reporting']}/api/v1/schools/{DEMO_UAI}/sms"
    names, _ = dashboard_metrics()

    async with httpx.AsyncClient(headers=platform.headers(), timeout=10) as api:

        async def one_delivered_one_invalid() -> bool:
            delivered = (await api.get(reporting, params={"tab": "delivered"})).json()
            failed = (await api.get(reporting, params={"tab": "invalid_or_undelivered"})).json()
            return delivered.get("count") == 1 and failed.get("count") == 1

        await eventually(one_delivered_one_invalid, timeout=120, interval=0.5)

    async def scrape() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=10) as client:
            return {
                name: (await client.get(f"{url}/metrics")).text
                for name, url in platform.urls.items()
                if name != "simulator"
            }

    def missing(pages: dict[str, str]) -> set[str]:
        return {
            name
            for name in names
            if not any(re.search(rf"^{name}[{{ ]", page, re.M) for page in pages.values())
        }

    async def all_exported() -> bool:
        pages = await scrape()
        return not missing(pages) and 'reason="invalid_number"' in pages["reporting"]

    try:
        await eventually(all_exported, timeout=60, interval=0.5)
    except AssertionError:
        raise AssertionError(f"not on any /metrics: {sorted(missing(await scrape()))}") from None
    pages = await scrape()
    for page in pages.values():
        for private in (DEMO_UAI, "+336", "0600000", "MARTIN", "Léa", "uai="):
            assert private not in page
    assert re.search(
        r'^sms_by_state\{operator="[^"]+",state="delivered"\} 1\.0$', pages["reporting"], re.M
    )

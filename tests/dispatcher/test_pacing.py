"""Each school's account is paced at its operator's rate, in batches of the operator's size, and
many accounts are served at once (real Kafka and PostgreSQL; a recording operator adapter)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import pytest
from support.kafka_probe import eventually

import dispatcher.main
from dispatcher.settings import DispatcherSettings
from shared.operators.base import (
    AccountConfig,
    AdapterRegistry,
    Capabilities,
    OutgoingSms,
    SendResult,
)
from shared.states import SmsState

SCHOOLS = ["0750031A", "0750032B", "0750033C", "0750034D"]
PER_SCHOOL = 120
RATE, BATCH = 40.0, 20
SCHEDULING_SLACK_S = 0.1


class RecordingOperator:
    dialect: ClassVar[str] = "simulator"
    capabilities = Capabilities(
        max_batch=BATCH,
        rate_limit_per_s=RATE,
        supports_status_poll=False,
        max_status_batch=1,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=True,
    )

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[float, int]]] = defaultdict(list)

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        self.calls[account.key].append((time.monotonic(), len(messages)))
        return [
            SendResult(m.client_reference, SmsState.IN_TRANSIT, f"m-{m.client_reference}", 1)
            for m in messages
        ]

    async def fetch_statuses(self, account: AccountConfig, ids: Sequence[str]) -> list[Any]:
        return []

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        return None

    async def check_credentials(self, account: AccountConfig) -> None:
        return None


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_accounts_are_paced_at_their_rate_and_served_concurrently(bench, monkeypatch) -> None:
    operator = RecordingOperator()

    def registry(_client: httpx.AsyncClient, **_options: object) -> AdapterRegistry:
        return AdapterRegistry({"simulator": operator})

    monkeypatch.setattr(dispatcher.main, "registry", registry)
    for uai in SCHOOLS:
        await bench.school(uai)
    app = dispatcher.main.build_app(bench.isolation.settings(DispatcherSettings))
    async with app.router.lifespan_context(app):
        for uai in SCHOOLS:
            await bench.request(uai, PER_SCHOOL)

        async def all_sent() -> bool:
            for uai in SCHOOLS:
                if (await bench.states(uai))["in_transit"] != PER_SCHOOL:
                    return False
            return True

        await eventually(all_sent, timeout=60, interval=0.2)

    assert len(operator.calls) == len(SCHOOLS)
    starts, ends = [], []
    for calls in operator.calls.values():
        assert sum(n for _, n in calls) == PER_SCHOOL
        assert max(n for _, n in calls) <= BATCH
        # After the first burst (one batch), the account never goes faster than its rate.
        first = calls[0][0]
        sent_after_first = 0
        for at, count in calls[1:]:
            sent_after_first += count
            assert sent_after_first <= RATE * (at - first) + 1e-6 + BATCH * 0.05
        starts.append(first)
        ends.append(calls[-1][0])
    # Served side by side: every account started before any finished.
    assert max(starts) < min(ends)
    # 120 SMS at 40/s after a burst of 20: about 2.5 s each, not 10 s one after the other.
    assert max(ends) - min(starts) < 6

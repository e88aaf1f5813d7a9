"""An operator that times out and accepts the batch a moment later (fault case 4): no blind
resend, and no lookup racing the request still in flight; the SMS is reconciled as sent."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
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
    OutcomeUnknownError,
    OutgoingSms,
    SendResult,
)
from shared.states import SmsState

SCHOOL = "0750041L"
LATE_S = 1.0  # the operator accepts this long after the client gave up


class LateOperator:
    """Times out on every send, then accepts it `LATE_S` later; lookups see only what it has
    accepted by then."""

    dialect: ClassVar[str] = "simulator"
    capabilities = Capabilities(
        max_batch=50,
        rate_limit_per_s=1000,
        supports_status_poll=False,
        max_status_batch=1,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=True,
    )

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.lookups = 0

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        refs = [m.client_reference for m in messages]

        async def accept_later() -> None:
            await asyncio.sleep(LATE_S)
            self.accepted.update(refs)

        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(accept_later()))
        raise OutcomeUnknownError("no answer after sending (ReadTimeout)")

    async def fetch_statuses(self, account: AccountConfig, ids: Sequence[str]) -> list[Any]:
        return []

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        self.lookups += 1
        if self.accepted[client_reference]:
            return SendResult(client_reference, SmsState.IN_TRANSIT, f"m-{client_reference}")
        return None

    async def check_credentials(self, account: AccountConfig) -> None:
        return None


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_an_unanswered_send_accepted_late_is_reconciled_not_resent(
    bench, monkeypatch
) -> None:
    operator = LateOperator()

    def registry(_client: httpx.AsyncClient, **_options: object) -> AdapterRegistry:
        return AdapterRegistry({"simulator": operator})

    monkeypatch.setattr(dispatcher.main, "registry", registry)
    await bench.school(SCHOOL)
    settings = bench.isolation.settings(
        DispatcherSettings, sending_timeout_s=2.0, operator_timeout_s=1.0
    )
    app = dispatcher.main.build_app(settings)
    async with app.router.lifespan_context(app):
        ids = {str(i) for i in await bench.request(SCHOOL, 30)}
        started = time.monotonic()

        async def reconciled() -> bool:
            return (await bench.states(SCHOOL))["in_transit"] == len(ids)

        await eventually(reconciled, timeout=60, interval=0.2)

    assert set(operator.accepted) == ids
    assert max(operator.accepted.values()) == 1, "resent while the first send was in flight"
    assert operator.lookups >= len(ids)
    assert time.monotonic() - started >= 2.0, "reconciled before the send could have landed"

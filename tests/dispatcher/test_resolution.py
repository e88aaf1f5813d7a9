"""SMS "à vérifier" (the operator may or may not have them, and cannot be asked): the dispatcher
never resends on its own; staff's decision on sms.resolve.v1 resends (same SMS id) or ends the
SMS as sent without confirmation, once, whatever duplicates arrive."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

import httpx
import pytest
from support.kafka_probe import eventually

import dispatcher.main
from dispatcher.settings import DispatcherSettings
from shared.contracts import SmsResolveV1
from shared.operators.base import (
    AccountCheck,
    AccountConfig,
    AdapterRegistry,
    Capabilities,
    OutcomeUnknownError,
    OutgoingSms,
    SendResult,
)
from shared.states import SmsState

SCHOOL = "0750042M"


class UnsureOperator:
    """Never answers a first send (its outcome stays unknown) and cannot be asked by reference;
    accepts every later send."""

    dialect: ClassVar[str] = "simulator"
    capabilities = Capabilities(
        max_batch=50,
        rate_limit_per_s=1000,
        supports_status_poll=False,
        max_status_batch=1,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=False,
    )

    def __init__(self) -> None:
        self.sends: Counter[str] = Counter()

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        refs = [m.client_reference for m in messages]
        first = [r for r in refs if not self.sends[r]]
        self.sends.update(refs)
        if first:
            raise OutcomeUnknownError("no answer after sending (ReadTimeout)")
        return [SendResult(r, SmsState.IN_TRANSIT, f"m-{r}", segments=1) for r in refs]

    async def fetch_statuses(self, account: AccountConfig, ids: Sequence[str]) -> list[Any]:
        return []

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        raise AssertionError("an operator without lookup is never asked")

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        return AccountCheck()


def decision(sms_id: UUID, what: str) -> SmsResolveV1:
    return SmsResolveV1(
        producer="events",
        uai=SCHOOL,
        sms_id=sms_id,
        decision=what,  # type: ignore[arg-type]
        decided_by="cpe",
        decided_at=datetime.now(UTC),
    )


@pytest.mark.timeout(120)
async def test_staff_decide_resend_or_keep_and_each_sms_is_resent_at_most_once(
    bench, monkeypatch
) -> None:
    operator = UnsureOperator()

    def registry(_client: httpx.AsyncClient, **_options: object) -> AdapterRegistry:
        return AdapterRegistry({"simulator": operator})

    monkeypatch.setattr(dispatcher.main, "registry", registry)
    await bench.school(SCHOOL)
    settings = bench.isolation.settings(
        DispatcherSettings, sending_timeout_s=2.0, operator_timeout_s=1.0
    )
    app = dispatcher.main.build_app(settings)
    async with app.router.lifespan_context(app):
        resend, keep, untouched = await bench.request(SCHOOL, 3)

        async def all_unconfirmed() -> bool:
            return (await bench.states(SCHOOL))["unconfirmed"] == 3

        await eventually(all_unconfirmed, timeout=60, interval=0.2)
        assert sum(operator.sends.values()) == 3, "nothing is resent without a decision"

        resend_msg = decision(resend, "resend")
        # The same decision delivered twice, and a late contrary one: one resend only.
        await bench.publish([resend_msg, resend_msg, decision(keep, "keep_as_sent")])
        await bench.publish([decision(resend, "keep_as_sent")])

        async def decided() -> bool:
            states = {r["sms_id"]: r["state"] for r in await bench.rows(SCHOOL)}
            return states[resend] == "in_transit" and states[keep] == "sent_unconfirmed"

        await eventually(decided, timeout=60, interval=0.2)
        rows = {r["sms_id"]: r for r in await bench.rows(SCHOOL)}
        assert rows[untouched]["state"] == "unconfirmed"
        assert rows[resend]["resolution"] == "resend"
        assert rows[keep]["resolution"] == "keep_as_sent"
        assert operator.sends[str(resend)] == 2
        assert operator.sends[str(keep)] == 1
        assert operator.sends[str(untouched)] == 1
        submitted = await bench.published("sms.submitted.v1", SCHOOL)
        resent = [m for m in submitted if m["sms_id"] == str(resend)]
        assert [m["state"] for m in resent] == ["unconfirmed", "in_transit"]
        applied = app.state.runtime.registry.get_sample_value(
            "sms_dispatcher_resolutions_total", {"service": "dispatcher", "decision": "resend"}
        )
        assert applied == 1


async def test_a_decision_for_an_unknown_sms_changes_nothing(bench) -> None:
    await bench.school(SCHOOL)
    app = dispatcher.main.build_app(bench.isolation.settings(DispatcherSettings))
    async with app.router.lifespan_context(app):
        await bench.publish([decision(uuid4(), "resend")])
        ids = await bench.request(SCHOOL, 1)

        async def sent() -> bool:
            return (await bench.states(SCHOOL))["in_transit"] == 1

        await eventually(sent, timeout=60, interval=0.2)
    assert {r["sms_id"] for r in await bench.rows(SCHOOL)} == set(ids)

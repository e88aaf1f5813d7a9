"""Staff's decision on an SMS "à vérifier" reaches sms.status.v1: kept as sent, it ends "envoyé,
sans accusé" (once, whatever duplicates arrive); resent, the new submission moves it on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from poller_support import FakeOperator, capabilities, running_poller, submitted

from shared.contracts import SmsResolveV1
from shared.operators.base import AdapterRegistry

UAI = "0750001A"
UNCONFIRMED = ("unconfirmed", False)
KEPT = ("sent_unconfirmed", True)
IN_TRANSIT = ("in_transit", False)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def decision(sms_id, what: str) -> SmsResolveV1:  # type: ignore[no-untyped-def]
    return SmsResolveV1(
        producer="events",
        uai=UAI,
        sms_id=sms_id,
        decision=what,
        decided_by="cpe",
        decided_at=datetime.now(UTC),
    )


async def test_kept_as_sent_ends_sans_accuse_once(isolation, topics) -> None:
    await topics()
    operator = FakeOperator(capabilities(poll=False, receipts=False))
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        unsure = submitted(UAI, state="unconfirmed")
        await poller.publish(unsure)
        await poller.wait_states(unsure.sms_id, [UNCONFIRMED])
        keep = decision(unsure.sms_id, "keep_as_sent")
        await poller.publish(keep, keep)
        [status] = (await poller.wait_states(unsure.sms_id, [UNCONFIRMED, KEPT]))[1:]
        await poller.settled()
        assert await poller.states(unsure.sms_id) == [UNCONFIRMED, KEPT]
    assert status.label_fr == "envoyé, sans accusé"
    assert status.reason_code == "kept_as_sent"


async def test_a_resend_decision_waits_for_the_new_submission(isolation, topics) -> None:
    await topics()
    operator = FakeOperator()
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        unsure = submitted(UAI, state="unconfirmed")
        await poller.publish(unsure)
        await poller.wait_states(unsure.sms_id, [UNCONFIRMED])
        await poller.publish(decision(unsure.sms_id, "resend"))
        resent = submitted(UAI, sms_id=unsure.sms_id)
        await poller.publish(resent)
        await poller.wait_states(unsure.sms_id, [UNCONFIRMED, IN_TRANSIT])
        # A late "keep" after the resend was accepted changes nothing.
        await poller.publish(decision(unsure.sms_id, "keep_as_sent"))
        await poller.settled()
        assert await poller.states(unsure.sms_id) == [UNCONFIRMED, IN_TRANSIT]

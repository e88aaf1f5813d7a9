"""The status-poller on the real Kafka + PostgreSQL, with fake operators behind the adapter
protocol: what it tracks, what it polls, and what it publishes on sms.status.v1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from poller_support import (
    FakeOperator,
    TestClock,
    capabilities,
    rejected,
    running_poller,
    submitted,
)
from support.kafka_probe import eventually

from shared.contracts import SmsRefreshV1
from shared.operators.base import (
    AdapterRegistry,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.states import SmsState

UAI = "0750001A"
OTHER_UAI = "0930002B"

IN_TRANSIT = ("in_transit", False)
CARRIER_ACCEPTED = ("carrier_accepted", False)
DELIVERED = ("delivered", False)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


async def test_a_submitted_sms_is_published_in_transit_once(isolation, topics) -> None:
    await topics()
    operator = FakeOperator()
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        await poller.publish(sms)
        [status] = await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        # It goes on being polled (the operator has no news) without publishing anything more.
        await eventually(lambda: _true(operator.asked_about(sms.provider_message_id or "") >= 3))
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]
    assert (status.absence_id, status.action_code, status.recipient_role) == (
        sms.absence_id,
        sms.action_code,
        sms.recipient_role,
    )
    assert status.label_fr == "en transit"
    assert status.provider_message_id == sms.provider_message_id
    assert status.correlation_id == sms.correlation_id
    assert status.producer == "status-poller"
    # The account given to the adapter is the school's, its password decrypted for the call.
    assert operator.accounts[0].uai == UAI
    assert operator.accounts[0].password == f"password-{UAI}"


async def test_polls_move_the_sms_to_carrier_accepted_then_delivered_each_published_once(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator()
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])

        operator.states[pmi] = SmsState.CARRIER_ACCEPTED
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED])
        asked = operator.asked_about(pmi)
        await eventually(lambda: _true(operator.asked_about(pmi) >= asked + 2))

        operator.states[pmi] = SmsState.DELIVERED
        statuses = await poller.wait_states(sms.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED, DELIVERED])
        row = await poller.row(sms.sms_id)
        assert row["state"] == "delivered" and row["next_poll_at"] is None
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT, CARRIER_ACCEPTED, DELIVERED]

        registry = poller.resources.registry
        ok_polls = registry.get_sample_value(
            "sms_status_polls_total",
            {"service": "status-poller", "dialect": "fake", "outcome": "ok"},
        )
        assert ok_polls is not None and ok_polls >= 3
        delivered = registry.get_sample_value(
            "sms_status_changes_total",
            {
                "service": "status-poller",
                "state": "delivered",
                "own_verdict": "false",
                "operator": "fakeop",
            },
        )
        assert delivered == 1
        to_final = registry.get_sample_value(
            "sms_status_submission_to_final_seconds_count",
            {"service": "status-poller", "state": "delivered"},
        )
        assert to_final == 1
        for cycle_metric in (
            "sms_status_poll_cycle_seconds_count",
            "sms_status_poll_cycle_sms_count",
        ):
            cycles = registry.get_sample_value(cycle_metric, {"service": "status-poller"})
            assert cycles is not None and cycles >= 3, cycle_metric
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=poller.app), base_url="http://t"
        ) as client:
            metrics = (await client.get("/metrics")).text
        for name in ("sms_status_rows_due", "sms_status_poll_seconds_bucket"):
            assert name in metrics
    assert statuses[-1].operator_code == "OP_DELIVERED"
    assert statuses[-1].label_fr == "délivré"


async def test_metrics_count_the_sms_in_transit_and_the_age_of_the_oldest(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator()
    clock = TestClock()
    async with running_poller(
        isolation, AdapterRegistry({"fake": operator}), clock=clock
    ) as poller:
        await poller.configure_school(UAI, "fake")
        old = submitted(UAI, submitted_at=clock.now - timedelta(minutes=10))
        young = submitted(UAI, submitted_at=clock.now - timedelta(minutes=1))
        await poller.publish(old, young)
        await poller.wait_states(old.sms_id, [IN_TRANSIT])
        await poller.wait_states(young.sms_id, [IN_TRANSIT])
        registry = poller.resources.registry
        labels = {"service": "status-poller"}

        async def observed(waiting: float, oldest: float) -> bool:
            return (
                registry.get_sample_value("sms_status_in_transit", labels) == waiting
                and registry.get_sample_value("sms_status_oldest_in_transit_seconds", labels)
                == oldest
            )

        await eventually(lambda: observed(2, 600), timeout=30)
        operator.states[old.provider_message_id or ""] = SmsState.DELIVERED
        clock.advance(timedelta(minutes=5))
        await poller.wait_states(old.sms_id, [IN_TRANSIT, DELIVERED])
        await eventually(lambda: observed(1, 360), timeout=30)


async def test_a_replayed_submission_publishes_nothing_new(isolation, topics) -> None:
    await topics()
    operator = FakeOperator()
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        operator.states[sms.provider_message_id or ""] = SmsState.DELIVERED
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])

        # The same message again (a consumer replay), and a copy under a new message id.
        await poller.publish(sms, sms.model_copy(update={"message_id": submitted(UAI).message_id}))
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT, DELIVERED]
        assert (await poller.row(sms.sms_id))["state"] == "delivered"


async def test_a_rejected_sms_is_published_with_its_final_state_and_reason(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, AdapterRegistry({"fake": FakeOperator()})) as poller:
        refusal = rejected(UAI)
        await poller.publish(refusal)
        [status] = await poller.wait_states(refusal.sms_id, [("failed", False)])
        # An "outcome unknown" arriving after the rejection (another topic) changes nothing.
        late = submitted(UAI, state="unconfirmed", sms_id=refusal.sms_id)
        await poller.publish(late)
        await poller.settled()
        assert await poller.states(refusal.sms_id) == [("failed", False)]
        row = await poller.row(refusal.sms_id)
    assert (status.reason_code, status.label_fr) == ("bad_credentials", "échec d'envoi")
    assert (status.absence_id, status.recipient_role) == (refusal.absence_id, "Légal 2")
    assert row["next_poll_at"] is None


async def test_an_expired_sms_is_undelivered_by_our_verdict_until_a_late_delivered_replaces_it(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator()
    clock = TestClock()
    # The default validity window (48 hours) and growth of the interval (after 2 hours, up to 1
    # hour), passed on the test's clock.
    async with running_poller(
        isolation,
        AdapterRegistry({"fake": operator}),
        clock=clock,
        poll_interval_s=300,
        poll_backoff_after_s=7200,
        poll_max_interval_s=3600,
        late_poll_interval_s=6 * 3600,
    ) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI, submitted_at=clock.now)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        row = await poller.row(sms.sms_id)
        assert row["next_poll_at"] == clock.now + timedelta(minutes=5)

        clock.advance(timedelta(hours=47))
        await eventually(lambda: _true(operator.asked_about(pmi) == 1))
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]
        # Old enough for the longest interval, but never past the end of the window.
        row = await poller.row(sms.sms_id)
        assert row["next_poll_at"] == clock.now + timedelta(hours=1)

        clock.advance(timedelta(hours=1, seconds=1))
        expired = await poller.wait_states(sms.sms_id, [IN_TRANSIT, ("undelivered", True)])
        assert expired[-1].reason_code == "expired"
        assert expired[-1].label_fr == "non remis"
        assert expired[-1].changed_at == expired[-1].observed_at == clock.now
        row = await poller.row(sms.sms_id)
        assert row["next_poll_at"] == clock.now + timedelta(hours=6), "late answers looked for"

        operator.states[pmi] = SmsState.DELIVERED
        clock.advance(timedelta(hours=6))
        statuses = await poller.wait_states(
            sms.sms_id, [IN_TRANSIT, ("undelivered", True), DELIVERED]
        )
        assert statuses[-1].reason_code is None
        assert statuses[-1].own_verdict is False
        assert (await poller.row(sms.sms_id))["next_poll_at"] is None


@pytest.mark.parametrize("whole_school", [False, True], ids=["listed-sms", "whole-school"])
async def test_refresh_makes_the_sms_due_now(isolation, topics, whole_school) -> None:
    await topics()
    operator = FakeOperator()
    # Polls every hour: only "Mettre à jour" can bring the answer within the test.
    async with running_poller(
        isolation, AdapterRegistry({"fake": operator}), poll_interval_s=3600
    ) as poller:
        await poller.configure_school(UAI, "fake")
        sms, other = submitted(UAI), submitted(UAI)
        for message in (sms, other):
            operator.states[message.provider_message_id or ""] = SmsState.DELIVERED
        await poller.publish(sms, other)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        await poller.wait_states(other.sms_id, [IN_TRANSIT])
        row = await poller.row(sms.sms_id)
        assert row["next_poll_at"] > datetime.now(UTC) + timedelta(minutes=50)
        assert operator.requests == []

        ids = () if whole_school else (sms.sms_id,)
        await poller.publish(
            SmsRefreshV1(producer="reporting", uai=UAI, sms_ids=ids, requested_at=datetime.now(UTC))
        )
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])
        if whole_school:
            await poller.wait_states(other.sms_id, [IN_TRANSIT, DELIVERED])
        else:
            await poller.settled()
            assert await poller.states(other.sms_id) == [IN_TRANSIT]
            assert operator.asked_about(other.provider_message_id or "") == 0


async def test_repeated_refreshes_of_a_school_reach_its_operator_once_per_interval(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator()
    clock = TestClock()
    async with running_poller(
        isolation,
        AdapterRegistry({"fake": operator}),
        clock=clock,
        poll_interval_s=36000,
        refresh_min_interval_s=60,
    ) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI, submitted_at=clock.now)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])

        def refresh(*ids: UUID) -> SmsRefreshV1:
            return SmsRefreshV1(
                producer="reporting", uai=UAI, sms_ids=ids, requested_at=datetime.now(UTC)
            )

        await poller.publish(refresh())
        await eventually(lambda: _true(operator.asked_about(pmi) == 1))
        # Staff keep clicking, for the school and for the SMS.
        await poller.publish(refresh(), refresh(sms.sms_id), refresh(), refresh(sms.sms_id))
        await poller.settled()
        assert operator.asked_about(pmi) == 1
        row = await poller.row(sms.sms_id)
        assert row["next_poll_at"] == clock.now + timedelta(seconds=60), "joined, not dropped"

        clock.advance(timedelta(seconds=61))
        await eventually(lambda: _true(operator.asked_about(pmi) == 2))
        await poller.settled()
        assert operator.asked_about(pmi) == 2


async def test_a_multi_part_sms_is_delivered_only_when_every_part_is(isolation, topics) -> None:
    await topics()
    operator = FakeOperator()
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        operator.parts[pmi] = [SmsState.DELIVERED, SmsState.CARRIER_ACCEPTED, SmsState.DELIVERED]
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED])
        asked = operator.asked_about(pmi)
        await eventually(lambda: _true(operator.asked_about(pmi) >= asked + 2))
        assert await poller.states(sms.sms_id) == [IN_TRANSIT, CARRIER_ACCEPTED]

        operator.parts[pmi] = [SmsState.DELIVERED] * 3
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED, DELIVERED])


async def test_a_failing_operator_does_not_delay_another_schools_polls(isolation, topics) -> None:
    await topics()
    healthy, failing = FakeOperator(), FakeOperator()
    failing.hold = asyncio.Event()  # its requests hang until the test lets them fail
    failing.failure = TransientOperatorError("simulated outage")
    registry = AdapterRegistry({"fake": healthy, "fake-down": failing})
    async with running_poller(isolation, registry) as poller:
        await poller.configure_school(OTHER_UAI, "fake-down")
        await poller.configure_school(UAI, "fake")
        stuck, fine = submitted(OTHER_UAI), submitted(UAI)
        await poller.publish(stuck)
        await eventually(lambda: _true(len(failing.requests) == 1))

        healthy.states[fine.provider_message_id or ""] = SmsState.CARRIER_ACCEPTED
        await poller.publish(fine)
        await poller.wait_states(fine.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED])
        healthy.states[fine.provider_message_id or ""] = SmsState.DELIVERED
        await poller.wait_states(fine.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED, DELIVERED])
        assert len(failing.requests) == 1, "the hanging school was not asked again meanwhile"

        failing.hold.set()

        async def backed_off() -> bool:
            row = await poller.row(stuck.sms_id)
            return bool(row["poll_failures"] >= 1)

        await eventually(backed_off)
        row = await poller.row(stuck.sms_id)
        assert row["state"] == "in_transit" and row["next_poll_at"] is not None
        assert await poller.states(stuck.sms_id) == [IN_TRANSIT]
        transient = poller.resources.registry.get_sample_value(
            "sms_status_polls_total",
            {"service": "status-poller", "dialect": "fake-down", "outcome": "transient"},
        )
        assert transient is not None and transient >= 1

        # The outage ends: the SMS was never lost.
        failing.failure = None
        failing.states[stuck.provider_message_id or ""] = SmsState.DELIVERED
        await poller.wait_states(stuck.sms_id, [IN_TRANSIT, DELIVERED])
        assert (await poller.row(stuck.sms_id))["poll_failures"] == 0


async def test_refused_credentials_keep_the_sms_polled_at_the_normal_rhythm(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator()
    operator.failure = PermanentOperatorError("credentials refused", reason_code="bad_credentials")
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        await eventually(lambda: _true(len(operator.requests) >= 2))
        row = await poller.row(sms.sms_id)
        assert row["state"] == "in_transit" and row["poll_failures"] == 0

        operator.failure = None  # somebody fixed the account
        operator.states[sms.provider_message_id or ""] = SmsState.DELIVERED
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])


async def test_an_operator_without_status_nor_receipts_ends_sent_without_receipt_at_once(
    isolation, topics
) -> None:
    await topics()
    mute = FakeOperator(capabilities(poll=False, receipts=False))
    async with running_poller(isolation, AdapterRegistry({"fake": mute})) as poller:
        await poller.configure_school(UAI, "fake")
        sms = submitted(UAI)
        await poller.publish(sms)
        statuses = await poller.wait_states(sms.sms_id, [IN_TRANSIT, ("sent_unconfirmed", True)])
        await poller.settled()
        assert (await poller.row(sms.sms_id))["next_poll_at"] is None
    assert statuses[-1].label_fr == "envoyé, sans accusé"
    assert mute.requests == []


async def _true(value: bool) -> bool:
    return value

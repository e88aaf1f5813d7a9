"""Delivery receipts on the status-poller's webhook, on the real Kafka + PostgreSQL, in the
simulator's dialect: pushed by the operator simulator over real HTTP, or posted by the test as
the simulator would post them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from poller_support import (
    PROVIDER_CODE,
    FakeOperator,
    Poller,
    TestClock,
    capabilities,
    running_poller,
    school_settings,
    serving_http,
    submitted,
)
from support.kafka_probe import eventually

from shared.db.pool import set_all_schools_scope
from shared.operators.base import AdapterRegistry

_spec = importlib.util.find_spec("operator_simulator")
if _spec is None or _spec.origin is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"))

from operator_simulator import create_app  # noqa: E402
from operator_simulator.server import BackgroundSimulator  # noqa: E402

UAI = "0750001A"
OTHER_UAI = "0930002B"
SECRET = "rcpt-7Hq2vX9LmW4tY8zP"
DIALECT = "simulator"

IN_TRANSIT = ("in_transit", False)
CARRIER_ACCEPTED = ("carrier_accepted", False)
DELIVERED = ("delivered", False)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

# Receipts only: no poll comes within a test.
RECEIPTS_ONLY = {"poll_interval_s": 3600}


def receipt(message_id: str, status: str, code: str, **extra: object) -> bytes:
    """A receipt as the simulator's README describes it (plus any field the operator adds)."""
    body = {
        "account": f"KEY-{UAI}",
        "message_id": message_id,
        "client_ref": None,
        "status": status,
        "code": code,
        "updated_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        **extra,
    }
    return json.dumps(body).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def configure(
    poller: Poller, uai: str = UAI, *, secret: str = SECRET, **kwargs: object
) -> None:
    await poller.publish(
        school_settings(uai, DIALECT, poller.box, receipt_secret=secret, **kwargs)  # type: ignore[arg-type]
    )

    async def stored() -> bool:
        async with poller.resources.pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "test: account stored")
            found = await conn.fetchval(
                "SELECT receipt_secret_encrypted FROM provider_accounts WHERE uai = $1", uai
            )
        return found is not None

    await eventually(stored, timeout=60)


async def early_receipts(poller: Poller) -> list[tuple[str, str]]:
    async with poller.resources.pool.acquire() as conn, conn.transaction():
        await set_all_schools_scope(conn, "test: early receipts")
        rows = await conn.fetch("SELECT provider_message_id, state FROM early_receipts ORDER BY id")
    return [(row["provider_message_id"], row["state"]) for row in rows]


def receipts_counted(poller: Poller, outcome: str, reason: str = "") -> float:
    value = poller.resources.registry.get_sample_value(
        "sms_status_receipts_total",
        {"service": "status-poller", "dialect": DIALECT, "outcome": outcome, "reason": reason},
    )
    return value or 0.0


async def test_delivery_is_seen_by_the_receipts_the_simulator_pushes(isolation, topics) -> None:
    await topics()
    with BackgroundSimulator(create_app()) as simulator:
        async with (
            httpx.AsyncClient(base_url=simulator.url, timeout=5.0) as operator,
            running_poller(isolation, None, **RECEIPTS_ONLY) as poller,
            serving_http(poller.app) as poller_url,
        ):
            account = f"KEY-{UAI}"
            webhook = f"{poller_url}/api/v1/receipts/{DIALECT}/{UAI}/{SECRET}"
            configured = await operator.put(
                f"/_control/accounts/{account}",
                json={"delivery_delay_s": 2.0, "webhook_url": webhook, "webhook_secret": SECRET},
            )
            configured.raise_for_status()
            await configure(poller, base_url=f"{simulator.url}/")

            # What the dispatcher would have done: send, then say the SMS is in transit.
            sms = submitted(UAI)
            sent = await operator.post(
                "/api/v1/messages",
                auth=(account, f"password-{UAI}"),
                json={
                    "sender": "CLG MOULIN",
                    "messages": [
                        {"to": "+33639980001", "text": "Absence.", "client_ref": str(sms.sms_id)}
                    ],
                },
            )
            [result] = sent.json()["results"]
            sms = sms.model_copy(update={"provider_message_id": result["message_id"]})
            await poller.publish(sms)

            statuses = await poller.wait_states(
                sms.sms_id, [IN_TRANSIT, CARRIER_ACCEPTED, DELIVERED], timeout=60
            )
            await poller.settled()
            row = await poller.row(sms.sms_id)
            accepted = receipts_counted(poller, "accepted")
    assert [s.operator_code for s in statuses[1:]] == ["ENROUTE", "DELIVRD"]
    assert row["polls"] == 0, "receipts alone told the story"
    assert row["next_poll_at"] is None
    assert accepted == 2


async def test_an_early_receipt_is_kept_and_applied_when_the_submission_arrives(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        answer = await poller.post_receipt(
            DIALECT, UAI, SECRET, receipt(pmi, "delivered", "DELIVRD")
        )
        assert (answer.status_code, answer.json()) == (200, {"ok": True})
        assert await early_receipts(poller) == [(pmi, "delivered")]
        await poller.settled()
        assert await poller.statuses(sms.sms_id) == []

        await poller.publish(sms)
        statuses = await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])
        await poller.settled()
        assert await early_receipts(poller) == []
        assert (await poller.row(sms.sms_id))["next_poll_at"] is None
    assert statuses[-1].operator_code == "DELIVRD"


async def test_duplicated_and_out_of_order_receipts_never_move_the_sms_back(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])

        pushed = [
            receipt(pmi, "delivered", "DELIVRD"),
            receipt(pmi, "sent", "ENROUTE"),  # late and stale
            receipt(pmi, "delivered", "DELIVRD"),  # the operator's retry
            receipt(pmi, "undelivered", "UNDELIV"),  # another final answer: the first one won
        ]
        for body in pushed:
            answer = await poller.post_receipt(DIALECT, UAI, SECRET, body)
            assert answer.status_code == 200, answer.text
        await poller.settled()
        statuses = await poller.statuses(sms.sms_id)
        assert [(s.state.value, s.own_verdict) for s in statuses] == [IN_TRANSIT, DELIVERED]
        assert (await poller.row(sms.sms_id))["operator_code"] == "DELIVRD"
        assert receipts_counted(poller, "accepted") == 4


async def test_a_receipt_with_a_bad_secret_is_refused_and_changes_nothing(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        await configure(poller, OTHER_UAI, secret="other-school-secret")
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        body = receipt(pmi, "delivered", "DELIVRD")

        refused = [
            await poller.post_receipt(DIALECT, UAI, SECRET + "x", body),
            # Another school's secret, a school nobody configured, a dialect the school does
            # not speak.
            await poller.post_receipt(DIALECT, UAI, "other-school-secret", body),
            await poller.post_receipt(DIALECT, "0750009Z", SECRET, body),
            await poller.post_receipt("fake", UAI, SECRET, body),
            # A signature made with a wrong secret does not stand in for the right one.
            await poller.post_receipt(
                DIALECT,
                UAI,
                "wrong",
                body,
                headers={"x-simulator-signature": signature("wrong", body)},
            ),
        ]
        for answer in refused:
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == "receipt_refused"
            assert SECRET not in answer.text
        assert "Accusé de réception refusé" in refused[0].json()["error"]["message"]

        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]
        assert await early_receipts(poller) == []
        assert receipts_counted(poller, "refused", "authentication") == 4
        unknown = poller.resources.registry.get_sample_value(
            "sms_status_receipts_total",
            {
                "service": "status-poller",
                "dialect": "unknown",
                "outcome": "refused",
                "reason": "authentication",
            },
        )
        assert unknown == 1, "a dialect from the URL is no metric label"


async def test_the_simulators_signature_authenticates_a_receipt_whatever_the_url_secret(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        sms = submitted(UAI)
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        body = receipt(sms.provider_message_id or "", "delivered", "DELIVRD")
        answer = await poller.post_receipt(
            DIALECT, UAI, "-", body, headers={"x-simulator-signature": signature(SECRET, body)}
        )
        assert answer.status_code == 200, answer.text
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])


async def test_a_receipt_from_a_source_outside_the_allow_list_is_refused(isolation, topics) -> None:
    await topics()
    async with running_poller(
        isolation, None, receipt_allowed_sources="10.0.0.0/8, 192.168.0.0/16", **RECEIPTS_ONLY
    ) as poller:
        await configure(poller)
        sms = submitted(UAI)
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        body = receipt(sms.provider_message_id or "", "delivered", "DELIVRD")
        answer = await poller.post_receipt(DIALECT, UAI, SECRET, body)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "receipt_source_refused"
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]
        assert receipts_counted(poller, "refused", "source") == 1


async def test_an_unreadable_receipt_gets_the_operators_refusal_and_applies_nothing(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        sms = submitted(UAI)
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        pmi = sms.provider_message_id or ""
        for body in (b'{"message_id": ', receipt(pmi, "exploded", "???"), b"[]"):
            answer = await poller.post_receipt(DIALECT, UAI, SECRET, body)
            assert (answer.status_code, answer.json()) == (400, {"ok": False})
        # Fields the operator adds are ignored.
        extended = receipt(pmi, "delivered", "DELIVRD", price_eur=0.045, network="20801")
        assert (await poller.post_receipt(DIALECT, UAI, SECRET, extended)).status_code == 200
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])
        assert receipts_counted(poller, "refused", "malformed") == 3


async def test_a_receipt_for_an_sms_sent_through_the_schools_former_operator_waits(
    isolation, topics
) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller, provider_code="NEWOP")
        sms = submitted(UAI)  # sent through PROVIDER_CODE before the change
        assert sms.provider_code == PROVIDER_CODE
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        pmi = sms.provider_message_id or ""
        answer = await poller.post_receipt(
            DIALECT, UAI, SECRET, receipt(pmi, "delivered", "DELIVRD")
        )
        assert answer.status_code == 200
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]
        assert await early_receipts(poller) == [(pmi, "delivered")]


async def test_receipts_racing_their_submissions_are_all_applied(isolation, topics) -> None:
    await topics()
    async with running_poller(isolation, None, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        batch = [submitted(UAI) for _ in range(60)]

        async def submit() -> None:
            for sms in batch:
                await poller.publish(sms)

        async def push() -> list[int]:
            codes = []
            for sms in batch:
                body = receipt(sms.provider_message_id or "", "delivered", "DELIVRD")
                codes.append((await poller.post_receipt(DIALECT, UAI, SECRET, body)).status_code)
                await asyncio.sleep(0.005)
            return codes

        _, codes = await asyncio.gather(submit(), push())
        assert set(codes) == {200}
        for sms in batch:
            await poller.wait_states(sms.sms_id, [IN_TRANSIT, DELIVERED])
        assert await early_receipts(poller) == []


async def test_a_late_delivered_receipt_replaces_our_expiry_verdict(isolation, topics) -> None:
    await topics()
    clock = TestClock()
    async with running_poller(isolation, None, clock=clock, **RECEIPTS_ONLY) as poller:
        await configure(poller)
        sms = submitted(UAI, submitted_at=clock.now)
        pmi = sms.provider_message_id or ""
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])

        clock.advance(timedelta(hours=48, seconds=1))
        expired = ("undelivered", True)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT, expired])
        # A late "sent" adds nothing to a final state; a late "delivered" replaces our verdict.
        for status, code in (("sent", "ENROUTE"), ("delivered", "DELIVRD")):
            answer = await poller.post_receipt(DIALECT, UAI, SECRET, receipt(pmi, status, code))
            assert answer.status_code == 200
        statuses = await poller.wait_states(sms.sms_id, [IN_TRANSIT, expired, DELIVERED])
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT, expired, DELIVERED]
    assert (statuses[-1].operator_code, statuses[-1].reason_code) == ("DELIVRD", None)


async def test_an_early_receipt_whose_submission_never_comes_is_forgotten(
    isolation, topics
) -> None:
    await topics()
    clock = TestClock()
    async with running_poller(
        isolation, None, clock=clock, early_receipt_retention_h=24, **RECEIPTS_ONLY
    ) as poller:
        await configure(poller)
        sms = submitted(UAI)
        pmi = sms.provider_message_id or ""
        body = receipt(pmi, "delivered", "DELIVRD")
        assert (await poller.post_receipt(DIALECT, UAI, SECRET, body)).status_code == 200
        assert await early_receipts(poller) == [(pmi, "delivered")]

        clock.advance(timedelta(hours=25))

        async def forgotten() -> bool:
            return await early_receipts(poller) == []

        await eventually(forgotten, timeout=30)
        await poller.publish(sms)
        await poller.wait_states(sms.sms_id, [IN_TRANSIT])
        await poller.settled()
        assert await poller.states(sms.sms_id) == [IN_TRANSIT]


async def test_a_receipt_for_an_operator_without_receipts_gets_its_refusal(
    isolation, topics
) -> None:
    await topics()
    operator = FakeOperator(capabilities(receipts=False))
    async with running_poller(isolation, AdapterRegistry({"fake": operator})) as poller:
        await poller.publish(school_settings(UAI, "fake", poller.box, receipt_secret=SECRET))
        body = b'{"anything": 1}'

        async def refused_as_unsupported() -> bool:
            answer = await poller.post_receipt("fake", UAI, SECRET, body)
            return (answer.status_code, answer.text) == (400, "KO")

        await eventually(refused_as_unsupported, timeout=60, interval=0.3)
        unsupported = poller.resources.registry.get_sample_value(
            "sms_status_receipts_total",
            {
                "service": "status-poller",
                "dialect": "fake",
                "outcome": "refused",
                "reason": "unsupported",
            },
        )
        assert unsupported is not None and unsupported >= 1

"""The dispatcher sends through each real operator's adapter, against the simulator's dialects:
schools whose provider is PLURIWARE, Envoyer SMS Pro (legacy and key-based API) or DIGITALEO get
their SMS accepted, a bad number invalidated, refused credentials failed with the advice, and an
answer cut short left "à vérifier" (no lookup exists, so never resent)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import uuid4

import pytest
from support.kafka_probe import eventually

from dispatcher.main import build_app
from dispatcher.settings import DispatcherSettings
from shared.contracts import ProviderAccountV1, SchoolSettingsV1, load_example

# school → (dialect, option 1)
SCHOOLS = {
    "0750061A": ("pluriware", None),
    "0750062B": ("envoyersmspro", None),
    "0750063C": ("envoyersmspro", "cle"),
    "0750064D": ("digitaleo", None),
}
PASSWORD = "pw-of-the-school"
BAD_NUMBER = "+33600000001"  # the second SMS of every request() batch


async def publish_school(bench: Any, uai: str, dialect: str, option1: str | None) -> str:
    """The school's settings naming the operator; its account key is `acct-<uai>`."""
    example = load_example(SchoolSettingsV1.TOPIC)
    assert isinstance(example, SchoolSettingsV1)
    bench.versions[uai] += 1
    settings = example.model_copy(
        update={
            "message_id": uuid4(),
            "uai": uai,
            "version": bench.versions[uai],
            "quiet_hours": None,
            "provider": ProviderAccountV1(
                provider_code=dialect.upper(),
                dialect=dialect,
                base_url=f"{bench.simulator_url}/{dialect}",
                key=f"acct-{uai}",
                password_encrypted=bench.box.encrypt(PASSWORD),
                option1=option1,
            ),
        }
    )
    await bench.publish([settings])
    return f"acct-{uai}"


async def received_by(bench: Any, account: str) -> list[dict[str, Any]]:
    answer = await bench.control.get("/_control/submissions", params={"account": account})
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()
    return result


def dispatcher_settings(bench: Any) -> DispatcherSettings:
    return bench.isolation.settings(
        DispatcherSettings,
        retry_base_s=0.1,
        retry_max_s=0.3,
        sending_timeout_s=2.0,
        operator_timeout_s=1.0,
    )


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_each_dialect_sends_its_schools_sms_and_invalidates_the_bad_number(bench) -> None:
    accounts = {}
    for uai, (dialect, option1) in SCHOOLS.items():
        accounts[uai] = await publish_school(bench, uai, dialect, option1)
        await bench.operator(
            accounts[uai],
            password=PASSWORD,
            outcomes=[{"pattern": f"^\\{BAD_NUMBER}$", "outcome": "invalid"}],
        )

    app = build_app(dispatcher_settings(bench))
    async with app.router.lifespan_context(app):
        for uai in SCHOOLS:
            await bench.request(uai, 3)

        async def settled() -> bool:
            for uai in SCHOOLS:
                if await bench.states(uai) != {"in_transit": 2, "invalid": 1}:
                    return False
            return True

        await eventually(settled, timeout=90, interval=0.2)

    for uai, (dialect, _) in SCHOOLS.items():
        received = await received_by(bench, accounts[uai])
        assert Counter(r["dialect"] for r in received) == {dialect: 2}, uai
        assert BAD_NUMBER not in {r["to"] for r in received}, uai
        submitted = await bench.published("sms.submitted.v1", uai)
        assert {m["provider_message_id"] for m in submitted} == {
            r["batch_id"] or r["message_id"] for r in received
        }, uai
        rejected = await bench.published("sms.rejected.v1", uai)
        assert [(m["state"], m["reason_code"]) for m in rejected] == [
            ("invalid", "invalid_number")
        ], uai


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_refused_credentials_fail_every_sms_of_the_school_whatever_the_dialect(
    bench,
) -> None:
    accounts = {}
    for uai, (dialect, option1) in SCHOOLS.items():
        accounts[uai] = await publish_school(bench, uai, dialect, option1)
        await bench.operator(accounts[uai], reject_credentials=True)

    app = build_app(dispatcher_settings(bench))
    async with app.router.lifespan_context(app):
        for uai in SCHOOLS:
            await bench.request(uai, 2)

        async def settled() -> bool:
            for uai in SCHOOLS:
                if await bench.states(uai) != {"failed": 2}:
                    return False
            return True

        await eventually(settled, timeout=90, interval=0.2)

    for uai in SCHOOLS:
        rows = await bench.rows(uai)
        assert {r["reason_code"] for r in rows} == {"bad_credentials"}, uai
        assert await received_by(bench, accounts[uai]) == [], uai


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_an_answer_cut_short_leaves_the_sms_to_verify_and_never_resends_it(bench) -> None:
    uai = "0750061A"
    account = await publish_school(bench, uai, "pluriware", None)
    await bench.operator(account, password=PASSWORD, malformed=True)

    app = build_app(dispatcher_settings(bench))
    async with app.router.lifespan_context(app):
        await bench.request(uai, 3)

        async def to_verify() -> bool:
            return await bench.states(uai) == {"unconfirmed": 3}

        await eventually(to_verify, timeout=90, interval=0.2)

    # The operator got each SMS once: nothing was sent again on a guess.
    assert len(await received_by(bench, account)) == 3

"""The status-poller with its default registry, against the simulator's operator dialects over
HTTP: Envoyer SMS Pro's legacy stats are polled until "délivré"; the operators that give no
delivery state (PLURIWARE, DIGITALEO, Envoyer SMS Pro's key-based API) end "envoyé, sans accusé",
never a false "non remis"."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest
from poller_support import PROVIDER_CODE, running_poller, submitted
from support.kafka_probe import eventually

from shared.contracts import ProviderAccountV1, SchoolSettingsV1
from shared.db.pool import tenant_transaction
from shared.operators.base import AccountConfig, OutgoingSms
from shared.operators.registry import default_registry

# Until the wheel ships the simulator, import it from its folder (as tests/operator_simulator do).
_spec = importlib.util.find_spec("operator_simulator")
if _spec is None or _spec.origin is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"))

from operator_simulator import create_app  # noqa: E402
from operator_simulator.server import BackgroundSimulator  # noqa: E402

UAI = "0750071A"
ACCOUNT, PASSWORD = f"acct-{UAI}", "s3cret"


async def school_uses(poller, base_url: str, dialect: str, option1: str | None = None) -> None:
    """Publish the school's settings naming the operator; wait until the poller stored them."""
    await poller.publish(
        SchoolSettingsV1(
            producer="events",
            uai=UAI,
            version=1,
            name="Lycée Victor Hugo",
            sms_enabled=True,
            time_zone="Europe/Paris",
            school_year_start_month=9,
            provider=ProviderAccountV1(
                provider_code=PROVIDER_CODE,
                dialect=dialect,
                base_url=f"{base_url}/{dialect}",
                key=ACCOUNT,
                password_encrypted=poller.box.encrypt(PASSWORD),
                option1=option1,
            ),
        )
    )

    async def stored() -> bool:
        async with tenant_transaction(poller.resources.pool, {UAI}) as conn:
            found = await conn.fetchval("SELECT dialect FROM provider_accounts WHERE uai = $1", UAI)
        return bool(found == dialect)

    await eventually(stored, timeout=60)


async def send_as_the_dispatcher(base_url: str, dialect: str, option1: str | None = None) -> str:
    """What the dispatcher would have done: send through the dialect's adapter."""
    account = AccountConfig(
        uai=UAI,
        provider_code=PROVIDER_CODE,
        dialect=dialect,
        base_url=f"{base_url}/{dialect}",
        key=ACCOUNT,
        password=PASSWORD,
        option1=option1,
    )
    async with httpx.AsyncClient(timeout=5.0) as client:
        adapter = default_registry(client, allow_simulator=False).get(dialect)
        [result] = await adapter.send_batch(
            account, [OutgoingSms("ref-1", "+33639980001", "Absence de Léo ce matin.")]
        )
    assert result.provider_message_id is not None
    return result.provider_message_id


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_envoyer_sms_pro_stats_are_polled_until_delivered(isolation, topics) -> None:
    await topics()
    with BackgroundSimulator(create_app()) as simulator:
        async with (
            httpx.AsyncClient(base_url=simulator.url, timeout=5.0) as operator,
            running_poller(isolation, None, poll_interval_s=0.3) as poller,
        ):
            configured = await operator.put(
                f"/_control/accounts/{ACCOUNT}",
                json={"password": PASSWORD, "delivery_delay_s": 3.0},
            )
            configured.raise_for_status()
            await school_uses(poller, simulator.url, "envoyersmspro")
            message_id = await send_as_the_dispatcher(simulator.url, "envoyersmspro")
            sms = submitted(UAI, provider_message_id=message_id)
            await poller.publish(sms)

            statuses = await poller.wait_states(
                sms.sms_id,
                [("in_transit", False), ("carrier_accepted", False), ("delivered", False)],
                timeout=60,
            )
            row = await poller.row(sms.sms_id)

    assert [s.operator_code for s in statuses[1:]] == ["status_id:2", "status_id:3"]
    assert statuses[-1].provider_message_id == message_id
    assert row["next_poll_at"] is None


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("dialect", "option1", "own_verdict"),
    [
        ("pluriware", None, True),
        ("digitaleo", None, True),
        ("envoyersmspro", "cle", False),  # the adapter answers for the operator at the first poll
    ],
)
async def test_an_operator_without_delivery_state_ends_sent_without_acknowledgement(
    isolation, topics, dialect, option1, own_verdict
) -> None:
    await topics()
    with BackgroundSimulator(create_app()) as simulator:
        async with (
            httpx.AsyncClient(base_url=simulator.url, timeout=5.0) as operator,
            running_poller(isolation, None, poll_interval_s=0.3) as poller,
        ):
            configured = await operator.put(
                f"/_control/accounts/{ACCOUNT}", json={"password": PASSWORD}
            )
            configured.raise_for_status()
            await school_uses(poller, simulator.url, dialect, option1)
            message_id = await send_as_the_dispatcher(simulator.url, dialect, option1)
            sms = submitted(UAI, provider_message_id=message_id)
            await poller.publish(sms)

            await poller.wait_states(
                sms.sms_id, [("in_transit", False), ("sent_unconfirmed", own_verdict)], timeout=60
            )
            row = await poller.row(sms.sms_id)

    assert row["next_poll_at"] is None

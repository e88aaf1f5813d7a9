"""The status-poller against the operator simulator over real HTTP, through the shared
`SimulatorAdapter` that `build_app` wires by default."""

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

# Until the wheel ships the simulator, import it from its folder (as tests/operator_simulator do).
_spec = importlib.util.find_spec("operator_simulator")
if _spec is None or _spec.origin is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"))

from operator_simulator import create_app  # noqa: E402
from operator_simulator.server import BackgroundSimulator  # noqa: E402

UAI = "0750001A"
ACCOUNT = f"demo-{UAI}"
PASSWORD = "s3cret"


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_an_sms_sent_through_the_simulator_is_followed_until_delivered(
    isolation, topics
) -> None:
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
            await poller.publish(
                SchoolSettingsV1(
                    producer="events",
                    uai=UAI,
                    version=1,
                    name="Collège Jean Moulin",
                    sms_enabled=True,
                    time_zone="Europe/Paris",
                    school_year_start_month=9,
                    provider=ProviderAccountV1(
                        provider_code=PROVIDER_CODE,
                        dialect="simulator",
                        base_url=f"{simulator.url}/",
                        key=ACCOUNT,
                        password_encrypted=poller.box.encrypt(PASSWORD),
                    ),
                )
            )

            async def account_stored() -> bool:
                async with tenant_transaction(poller.resources.pool, {UAI}) as conn:
                    found = await conn.fetchval(
                        "SELECT count(*) FROM provider_accounts WHERE uai = $1", UAI
                    )
                return bool(found == 1)

            await eventually(account_stored, timeout=60)

            # What the dispatcher would have done: send, then say the SMS is in transit.
            sms = submitted(UAI)
            sent = await operator.post(
                "/api/v1/messages",
                auth=(ACCOUNT, PASSWORD),
                json={
                    "sender": "CLG MOULIN",
                    "messages": [
                        {
                            "to": "+33639980001",
                            "text": "Absence de Léo ce matin.",
                            "client_ref": str(sms.sms_id),
                        }
                    ],
                },
            )
            [result] = sent.json()["results"]
            assert result["status"] == "accepted"
            sms = sms.model_copy(update={"provider_message_id": result["message_id"]})
            await poller.publish(sms)

            async def delivered() -> bool:
                states = await poller.states(sms.sms_id)
                return bool(states) and states[-1] == ("delivered", False)

            await eventually(delivered, timeout=60, interval=0.3)
            await poller.settled()
            statuses = await poller.statuses(sms.sms_id)
            row = await poller.row(sms.sms_id)
    # "sent" lasts 1.5 s of the 3 s delay: a 0.3 s poll sees it; each state is published once.
    assert [s.state.value for s in statuses] == ["in_transit", "carrier_accepted", "delivered"]
    assert [s.operator_code for s in statuses[1:]] == ["ENROUTE", "DELIVRD"]
    assert row["next_poll_at"] is None and row["polls"] >= 2

""" "Tester": a real authenticated call to the school's operator (the simulator over HTTP), with a
French answer telling success, refused credentials, an unreachable service and a timeout apart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from events_support import create_school, running_api
from support.events_api import UAI, Api
from support.processes import ManagedProcess, base_url, simulator_process

ACCOUNT = f"acct-{UAI}"


@pytest.fixture
def simulator(logs_dir: Path) -> Iterator[ManagedProcess]:
    process = simulator_process(log_path=logs_dir / "simulator.log")
    process.start()
    try:
        yield process
    finally:
        process.kill()


@pytest.fixture
async def sim_api(isolation, topics, simulator: ManagedProcess) -> AsyncIterator[Api]:
    await topics()
    await simulator.wait_ready()
    url = base_url(simulator)
    async with running_api(
        isolation, enable_schools_on_creation=True, simulator_base_url=url, operator_timeout_s=1.0
    ) as api:
        api.simulator_url = url  # type: ignore[attr-defined]
        await create_school(api)
        await configure(api, {"password": "s3cret-pw", "credit": 250})
        yield api


async def configure(api: Api, config: dict) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.put(
            f"{api.simulator_url}/_control/accounts/{ACCOUNT}",  # type: ignore[attr-defined]
            json=config,
        )
        response.raise_for_status()


async def save(api: Api, password: str = "s3cret-pw") -> None:
    await api.ok(
        "PUT",
        f"/api/v1/schools/{UAI}/provider",
        json={"provider_code": "SIMULATEUR", "key": ACCOUNT, "password": password},
    )


async def test_the_stored_account_is_accepted_and_the_credit_told(sim_api: Api) -> None:
    await save(sim_api)
    result = await sim_api.ok("POST", f"/api/v1/schools/{UAI}/provider/test")
    assert result["ok"] is True and result["outcome"] == "success"
    assert result["credit_remaining"] == 250
    assert result["message"] == (
        "Connexion réussie : le fournisseur de service a accepté les identifiants. "
        "Crédit restant : 250 SMS."
    )


async def test_unsaved_form_values_are_tested_before_valider(sim_api: Api) -> None:
    await save(sim_api)
    result = await sim_api.ok(
        "POST", f"/api/v1/schools/{UAI}/provider/test", json={"password": "typo"}
    )
    assert result["outcome"] == "bad_credentials"
    assert result["message"].startswith("Identifiants refusés par le fournisseur de service")
    # Nothing was saved by the test: the stored password still works.
    result = await sim_api.ok("POST", f"/api/v1/schools/{UAI}/provider/test")
    assert result["outcome"] == "success"


async def test_an_operator_in_outage_is_unreachable(sim_api: Api) -> None:
    await save(sim_api)
    await configure(sim_api, {"outage": {"mode": "503", "retry_after_s": 1}})
    result = await sim_api.ok("POST", f"/api/v1/schools/{UAI}/provider/test")
    assert result["outcome"] == "unreachable"
    assert result["message"] == (
        "Le service d'envoi de SMS est injoignable ou ne répond pas : Vérifier les paramètres "
        "du fournisseur de service."
    )


async def test_a_slow_operator_is_a_timeout(sim_api: Api) -> None:
    await save(sim_api)
    await configure(sim_api, {"latency_ms": 3000})
    result = await sim_api.ok("POST", f"/api/v1/schools/{UAI}/provider/test")
    assert result["outcome"] == "timeout"


async def test_no_provider_chosen_is_refused_and_tests_are_audited(sim_api: Api) -> None:
    response = await sim_api.call("POST", f"/api/v1/schools/{UAI}/provider/test")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_provider"
    await save(sim_api)
    await sim_api.ok("POST", f"/api/v1/schools/{UAI}/provider/test", json={"password": "x"})
    trail = await sim_api.ok("GET", f"/api/v1/schools/{UAI}/audit")
    tested = [e for e in trail["items"] if e["action"] == "provider.tested"]
    assert tested[0]["details"] == {"provider_code": "SIMULATEUR", "outcome": "bad_credentials"}


async def test_the_receipt_url_is_shown_with_the_provider(sim_api: Api) -> None:
    await save(sim_api)
    shown = await sim_api.ok("GET", f"/api/v1/schools/{UAI}/provider")
    prefix = f"http://127.0.0.1:8002/api/v1/receipts/simulator/{UAI}/"
    assert shown["receipt_url"].startswith(prefix)
    assert len(shown["receipt_url"]) > len(prefix) + 20


async def test_another_school_cannot_test_this_schools_account(sim_api: Api) -> None:
    await save(sim_api)
    response = await sim_api.call("POST", f"/api/v1/schools/{UAI}/provider/test", as_="other")
    assert response.status_code == 403

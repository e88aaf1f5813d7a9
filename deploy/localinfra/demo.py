"""The demo school the local runner seeds through the events API (idempotent: a second run on the
same data changes nothing but the simulated account's password)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import httpx

from shared.auth import Role, TokenService
from shared.settings import LOCAL_TOKEN_SIGNING_KEY

DEMO_UAI = "0750001A"
DEMO_ACCOUNT = "demo-0750001A"

DEMO_PUPILS: list[dict[str, Any]] = [
    {
        "last_name": "MARTIN",
        "first_name": "Léa",
        "division": "4A",
        "recipients": [
            {
                "role_label": "Légal 1 - Financier",
                "name": "Mme MARTIN",
                "mobile": "06 00 00 00 01",
                "accepts_sms": True,
            },
            {
                "role_label": "Légal 2",
                "name": "M. MARTIN",
                "mobile": "06 00 00 00 02",
                "accepts_sms": True,
            },
        ],
    },
    {
        "last_name": "BERNARD",
        "first_name": "Hugo",
        "division": "3B",
        "recipients": [
            {
                "role_label": "Légal 1",
                "name": "Mme BERNARD",
                "mobile": "06 00 00 00 03",
                "accepts_sms": False,
            },
            {
                "role_label": "Correspondant n°1",
                "name": "M. PETIT",
                "mobile": "06 00 00 00 04",
                "accepts_sms": True,
            },
        ],
    },
    {
        "last_name": "THOMAS",
        "first_name": "Inès",
        "division": "6C",
        "recipients": [
            {
                "role_label": "Légal 1 - Financier",
                "name": "M. THOMAS",
                "mobile": None,
                "accepts_sms": True,
            },
            {
                "role_label": "Élève",
                "name": "Inès THOMAS",
                "mobile": "06 00 00 00 06",
                "accepts_sms": True,
            },
        ],
    },
]

DEMO_TEMPLATE = (
    "{etablissement} : {eleve} est absent(e) depuis le {debut}. "
    "Merci de contacter la vie scolaire au {telephone}."
)


# The simulator speaks each certified operator's dialect under its own path: the demo's catalog
# lists one operator per dialect there, so that the demo school can switch to any of them.
DIALECT_OPERATORS = {
    "pluriware": "DEMO_PLURIWARE",
    "envoyersmspro": "DEMO_ENVOYERSMSPRO",
    "digitaleo": "DEMO_DIGITALEO",
}
PROVIDERS = ("simulator", *DIALECT_OPERATORS)


def provider_body(provider: str, password: str) -> dict[str, Any]:
    """The demo school's provider form for `provider` (a dialect name, or "simulator")."""
    if provider == "simulator":
        return {"provider_code": "SIMULATEUR", "key": DEMO_ACCOUNT, "password": password}
    return {
        "provider_code": DIALECT_OPERATORS[provider],
        "key": DEMO_ACCOUNT,
        "password": password,
        # A certified operator's contract needs the Conseil d'Administration's approval.
        "ca_approved_on": "2026-09-15",
        "ca_reference": "CA-DEMO-2026",
    }


async def register_dialect_operators(api: httpx.AsyncClient, events_url: str, sim: str) -> None:
    """One catalog entry per certified dialect, pointing at the simulator (idempotent)."""
    for dialect, code in DIALECT_OPERATORS.items():
        answer = await api.post(
            f"{events_url}/api/v1/academie/operators",
            json={
                "code": code,
                "name": f"{code.split('_', 1)[1].title()} (simulé)",
                "dialect": dialect,
                "base_url": f"{sim.rstrip('/')}/{dialect}",
            },
        )
        if answer.status_code == 409:  # a second run: make it point at this simulator
            answer = await api.put(
                f"{events_url}/api/v1/academie/operators/{code}",
                json={
                    "name": f"{code.split('_', 1)[1].title()} (simulé)",
                    "dialect": dialect,
                    "base_url": f"{sim.rstrip('/')}/{dialect}",
                },
            )
        if answer.status_code >= 300:
            raise RuntimeError(f"seeding the operator {code} failed: {answer.text[:300]}")


async def seed_demo(
    events_url: str,
    simulator_url: str,
    *,
    delivery_delay_s: float = 3.0,
    provider: str = "simulator",
) -> str:
    """Create (or refresh) the demo school, its simulated provider account, action and pupils.

    `provider` is "simulator" (the simulator's own API) or one of the certified dialects the
    simulator speaks; returns the account's password (the simulator's, generated per run)."""
    token = TokenService(LOCAL_TOKEN_SIGNING_KEY).mint("demo-seed", Role.ACADEMIE_ADMIN)
    password = secrets.token_urlsafe(12)
    async with httpx.AsyncClient(timeout=10) as sim:
        answer = await sim.put(
            f"{simulator_url}/_control/accounts/{DEMO_ACCOUNT}",
            json={"password": password, "delivery_delay_s": delivery_delay_s},
        )
        answer.raise_for_status()
    headers = {"Authorization": f"Bearer {token}"}
    school = f"{events_url}/api/v1/schools/{DEMO_UAI}"
    async with httpx.AsyncClient(timeout=10, headers=headers) as api:
        await register_dialect_operators(api, events_url, simulator_url)
        await _ok(
            api.put(
                school,
                json={
                    "name": "Collège de démonstration",
                    "phone": "01 40 00 00 00",
                    "sender_name": "COLLEGEDEMO",
                },
            )
        )
        # The académie's green light ("feu vert"), without which no provider can be set.
        await _ok(
            api.post(f"{events_url}/api/v1/academie/schools/enable", json={"uais": [DEMO_UAI]})
        )
        await _ok(api.put(f"{school}/provider", json=provider_body(provider, password)))
        actions = await _ok(api.get(f"{school}/actions"))
        if not any(a["code"] == "SMS" for a in actions):
            await _ok(
                api.post(
                    f"{school}/actions",
                    json={"code": "SMS", "label": "Envoi de SMS", "template": DEMO_TEMPLATE},
                )
            )
        if not await _ok(api.get(f"{school}/pupils")):
            for pupil in DEMO_PUPILS:
                await _ok(api.post(f"{school}/pupils", json=pupil))
    return password


# The web interface's demo accounts: the school's CPE and an académie administrator.
DEMO_ACCOUNTS = (("cpe@demo", "staff", DEMO_UAI), ("rectorat@demo", "academie_admin", None))


async def seed_accounts(events_env: Mapping[str, str]) -> dict[str, str]:
    """Create (or reset) the demo accounts with fresh passwords, through the events service's own
    `users add` command run with its environment; returns each login's password."""
    passwords = {}
    for login, role, uai in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        argv = [sys.executable, "-m", "events", "users", "add", "--login", login, "--role", role]
        argv += ["--uai", uai] if uai else []
        command = await asyncio.create_subprocess_exec(
            *argv,
            "--password-stdin",
            env={**os.environ, **events_env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await command.communicate((password + "\n").encode())
        if command.returncode != 0:
            raise RuntimeError(f"creating the account {login} failed: {err.decode()[-300:]}")
        passwords[login] = password
    return passwords


async def _ok(request: Any) -> Any:
    response: httpx.Response = await request
    if response.status_code >= 300:
        raise RuntimeError(
            f"seeding failed: {response.request.method} {response.request.url} "
            f"answered {response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None

"""The operator adapters against the operator simulator's dialects, over real HTTP.

The simulator runs in a uvicorn thread on a free loopback port; each test starts from an empty
simulator. `OperatorSide` scripts the simulator's accounts and shows what it received; the
adapters get their own HTTP client, whose requests are recorded by path.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from operator_support import KEY, PASSWORD, READ_TIMEOUT_S

from shared.operators.base import AccountConfig

# Until the wheel ships the simulator, import it from its folder (as tests/operator_simulator do).
_spec = importlib.util.find_spec("operator_simulator")
if _spec is None or _spec.origin is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"))

from operator_simulator import create_app  # noqa: E402
from operator_simulator.server import BackgroundSimulator  # noqa: E402


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with BackgroundSimulator(create_app()) as server:
        yield server.url


@dataclass
class OperatorSide:
    """The simulator as the operator: its accounts' behaviour and what it received."""

    url: str
    control: httpx.AsyncClient

    async def configure(self, key: str = KEY, **config: Any) -> None:
        answer = await self.control.put(f"/_control/accounts/{key}", json=config)
        answer.raise_for_status()

    async def submissions(self, key: str = KEY) -> list[dict[str, Any]]:
        answer = await self.control.get("/_control/submissions", params={"account": key})
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()
        return result

    async def eventually_received(self, count: int, key: str = KEY) -> None:
        """Wait until the operator recorded `count` submissions (a send the client gave up on
        is processed after the account's latency)."""
        for _ in range(100):
            if len(await self.submissions(key)) >= count:
                break
            await asyncio.sleep(0.05)
        assert len(await self.submissions(key)) == count

    def account(
        self,
        dialect: str,
        *,
        key: str = KEY,
        password: str = PASSWORD,
        option1: str | None = None,
        sender_name: str | None = "CLG MOULIN",
        base_url: str | None = None,
    ) -> AccountConfig:
        return AccountConfig(
            uai="0750001A",
            provider_code=dialect.upper(),
            dialect=dialect,
            base_url=base_url or f"{self.url}/{dialect}",
            key=key,
            password=password,
            option1=option1,
            sender_name=sender_name,
        )


@pytest.fixture
async def operator(simulator_url: str) -> AsyncIterator[OperatorSide]:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=5.0) as control:
        (await control.post("/_control/reset")).raise_for_status()
        defaults = {"delivery_delay_s": 0.4, "password": PASSWORD}
        (await control.put("/_control/defaults", json=defaults)).raise_for_status()
        yield OperatorSide(simulator_url, control)


@dataclass
class RecordingClient:
    """The adapters' HTTP client; `paths` counts the requests it sent, by URL path."""

    client: httpx.AsyncClient
    paths: Counter[str] = field(default_factory=Counter)
    urls: list[str] = field(default_factory=list)


@pytest.fixture
async def http() -> AsyncIterator[RecordingClient]:
    paths: Counter[str] = Counter()
    urls: list[str] = []

    async def record(request: httpx.Request) -> None:
        paths[request.url.path] += 1
        urls.append(str(request.url))

    async with httpx.AsyncClient(
        timeout=httpx.Timeout(READ_TIMEOUT_S, connect=2.0), event_hooks={"request": [record]}
    ) as client:
        yield RecordingClient(client, paths, urls)

"""The operator simulator served by uvicorn on a free loopback port, reset before each test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# Until the wheel ships the package, import it from its folder. A namespace-package match (this
# very tests folder is also called operator_simulator) does not count as importable.
_spec = importlib.util.find_spec("operator_simulator")
if _spec is None or _spec.origin is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"))

from operator_simulator import create_app  # noqa: E402
from operator_simulator.server import BackgroundSimulator  # noqa: E402


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with BackgroundSimulator(create_app(receipt_backoff_s=0.05)) as server:
        yield server.url


@pytest.fixture
def client(simulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator_url, timeout=5.0) as http:
        http.post("/_control/reset").raise_for_status()
        yield http

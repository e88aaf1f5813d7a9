"""The operator dialects a process speaks: the three certified operators, and the simulator
outside production."""

from __future__ import annotations

import httpx

from shared.operators.base import AdapterRegistry, OperatorAdapter
from shared.operators.digitaleo import DigitaleoAdapter
from shared.operators.envoyersmspro import EnvoyerSmsProAdapter
from shared.operators.pluriware import PluriwareAdapter
from shared.operators.simulator import SimulatorAdapter


def default_registry(client: httpx.AsyncClient, *, allow_simulator: bool) -> AdapterRegistry:
    """Every adapter over one shared HTTP client (see `shared.operators.http`).

    A school whose account names the simulator while it is not allowed gets no adapter: its SMS
    fail "provider not supported" rather than go to a stand-in.
    """
    adapters: list[OperatorAdapter] = [
        PluriwareAdapter(client),
        EnvoyerSmsProAdapter(client),
        DigitaleoAdapter(client),
    ]
    if allow_simulator:
        adapters.append(SimulatorAdapter(client))
    return AdapterRegistry({adapter.dialect: adapter for adapter in adapters})

"""The whole platform as real processes on the test session's Kafka and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from localinfra.demo import DEMO_UAI
from shared.auth import Role, TokenService
from shared.settings import LOCAL_TOKEN_SIGNING_KEY
from support.processes import ManagedProcess, base_url, service_process, simulator_process

SERVICES = ["events", "dispatcher", "status-poller", "reporting"]


@dataclass
class Platform:
    urls: dict[str, str]
    processes: list[ManagedProcess]

    def headers(self) -> dict[str, str]:
        token = TokenService(LOCAL_TOKEN_SIGNING_KEY).mint("cpe", Role.STAFF, [DEMO_UAI])
        return {"Authorization": f"Bearer {token}"}


async def start_platform(isolation: Any, logs_dir: Any, **common: str) -> AsyncIterator[Platform]:
    """Start the simulator and the four services; stop them all when the caller is done."""
    simulator = simulator_process(log_path=logs_dir / "simulator.log")
    processes = [simulator]
    simulator.start()
    try:
        await simulator.wait_ready(30)
        extra = {
            "events": {"simulator_base_url": base_url(simulator)},
            "status-poller": {"poll_interval_s": "1", "poll_tick_s": "0.2"},
        }
        for name in SERVICES:
            env = isolation.env(db_schema=f"{isolation.schema}_{name.replace('-', '_')}")
            env.update(common)
            env.update(extra.get(name, {}))
            processes.append(service_process(name, env, log_dir=logs_dir))
        # The web interface reads "Suivi des SMS" from reporting, whose port is now known.
        urls = {p.name: base_url(p) for p in processes}
        processes[SERVICES.index("events") + 1].env["EVENTS_REPORTING_BASE_URL"] = urls["reporting"]
        for process in processes[1:]:
            process.start()
        for process in processes:
            await process.wait_ready(120)
        yield Platform({p.name: base_url(p) for p in processes}, processes)
    finally:
        for process in reversed(processes):
            if process.process is not None:
                process.terminate()

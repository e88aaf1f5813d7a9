"""The fault harness of the tests: the project's processes, logging to the test's folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from localinfra._process import free_port
from localinfra.services import ManagedProcess, base_url, simulator_process
from localinfra.services import service_process as _service_process

__all__ = ["ManagedProcess", "base_url", "free_port", "service_process", "simulator_process"]


def service_process(
    service: str, settings: Mapping[str, str], *, log_dir: Path, port: int | None = None
) -> ManagedProcess:
    """A service process whose output goes to `<log_dir>/<service>.log`."""
    return _service_process(service, settings, port=port, log_path=log_dir / f"{service}.log")

"""Run a service (or any program) as a real OS process: start, wait until ready, stop, restart.

Fault tests use it to SIGKILL a service mid-flight and restart it against the same Kafka and
PostgreSQL, the way an orchestrator would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

SERVICE_PACKAGES = {
    "events": ("events", "EVENTS_"),
    "dispatcher": ("dispatcher", "DISPATCHER_"),
    "status-poller": ("status_poller", "STATUS_POLLER_"),
    "reporting": ("reporting", "REPORTING_"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ManagedProcess:
    """One child process with its own log file and process group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        ready_url: str | None = None,
        ready_file: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.ready_url = ready_url
        self.ready_file = ready_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for the readiness URL to answer 200 (or the ready file to appear), or fail."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.running():
                    raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
                if self.ready_file is not None and self.ready_file.exists():
                    return
                if self.ready_url is not None:
                    try:
                        if (await client.get(self.ready_url)).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait; returns the exit code (SIGKILL if it does not stop in time)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    async def restart(self, timeout: float = 60.0) -> None:
        if self.running():
            self.terminate()
        self.start()
        await self.wait_ready(timeout)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def service_process(
    service: str, settings: Mapping[str, str], *, log_dir: Path, port: int | None = None
) -> ManagedProcess:
    """A service started with `python -m <package>`, configured through its env prefix."""
    package, prefix = SERVICE_PACKAGES[service]
    port = port or free_port()
    env = {f"{prefix}{key.upper()}": value for key, value in settings.items()}
    env[f"{prefix}HTTP_PORT"] = str(port)
    return ManagedProcess(
        service,
        [sys.executable, "-m", package],
        env=env,
        log_dir=log_dir,
        ready_url=f"http://127.0.0.1:{port}/readyz",
    )

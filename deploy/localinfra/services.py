"""The project's own processes (the four services and the operator simulator) as real OS
processes: start, wait until ready, stop with SIGTERM, kill with SIGKILL, restart.

The local runner (`python -m localinfra run`) and the tests' fault harness both use it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx

from ._process import free_port, kill, register, tail, terminate

SERVICES: dict[str, tuple[str, str, int]] = {
    # name: (python package, settings prefix, default port)
    "events": ("events", "EVENTS_", 8000),
    "dispatcher": ("dispatcher", "DISPATCHER_", 8001),
    "status-poller": ("status_poller", "STATUS_POLLER_", 8002),
    "reporting": ("reporting", "REPORTING_", 8003),
}
SIMULATOR_PORT = 8090


class ManagedProcess:
    """One child process with its own process group and output (a log file or a line callback)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path | None = None,
        on_line: Callable[[str, str], None] | None = None,
        ready_url: str | None = None,
        ready_file: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.on_line = on_line
        self.ready_url = ready_url
        self.ready_file = ready_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, **self.env}
        stdout: int | IO[bytes]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stdout = self.log_path.open("ab")
        else:
            stdout = subprocess.PIPE
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )
        register(self.process, signal.SIGTERM)
        if self.log_path is not None:
            assert not isinstance(stdout, int)
            stdout.close()
        elif self.process.stdout is not None:
            pipe = self.process.stdout
            threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            if self.on_line is not None:
                self.on_line(self.name, raw.decode("utf-8", errors="replace").rstrip("\n"))

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
        """SIGTERM, wait, SIGKILL if it lingers; returns the exit status."""
        assert self.process is not None
        code = terminate(self.process, signal.SIGTERM, timeout)
        return self.process.returncode if code is None else code

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        assert self.process is not None
        kill(self.process)

    async def restart(self, timeout: float = 60.0) -> None:
        if self.running():
            self.terminate()
        self.start()
        await self.wait_ready(timeout)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None:
            return "(output streamed)"
        return tail(self.log_path, lines) or "(no output)"


def service_process(
    service: str,
    settings: Mapping[str, str],
    *,
    port: int | None = None,
    log_path: Path | None = None,
    on_line: Callable[[str, str], None] | None = None,
) -> ManagedProcess:
    """A service started with `python -m <package>`, configured through its env prefix."""
    package, prefix, _ = SERVICES[service]
    port = port or free_port()
    env = {f"{prefix}{key.upper()}": value for key, value in settings.items()}
    env[f"{prefix}HTTP_PORT"] = str(port)
    return ManagedProcess(
        service,
        [sys.executable, "-m", package],
        env=env,
        log_path=log_path,
        on_line=on_line,
        ready_url=f"http://127.0.0.1:{port}/readyz",
    )


def simulator_process(
    *,
    port: int | None = None,
    log_path: Path | None = None,
    on_line: Callable[[str, str], None] | None = None,
) -> ManagedProcess:
    """The operator simulator (`deploy/operator-simulator`) on a loopback port."""
    port = port or free_port()
    return ManagedProcess(
        "simulator",
        [sys.executable, "-m", "operator_simulator", "--host", "127.0.0.1", "--port", str(port)],
        env={},
        log_path=log_path,
        on_line=on_line,
        ready_url=f"http://127.0.0.1:{port}/_control/health",
    )


def base_url(process: ManagedProcess) -> str:
    assert process.ready_url is not None
    return process.ready_url.rsplit("/", 1)[0].removesuffix("/_control")

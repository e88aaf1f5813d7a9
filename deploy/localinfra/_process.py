"""Process plumbing shared by the Kafka and PostgreSQL runners.

Children are started in their own session (so a Ctrl-C aimed at the terminal does not reach them
before we stop them in order), which also means nothing kills them when Python exits: the registry
below does, from an atexit hook.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# pid -> (process, signal for a clean stop). Guarded by a lock: fixtures may run in threads.
_LIVE: dict[int, tuple[subprocess.Popen[bytes], signal.Signals]] = {}
_LOCK = threading.Lock()


def register(proc: subprocess.Popen[bytes], stop_signal: signal.Signals) -> None:
    """Remember a child whose process group must not outlive this Python process."""
    with _LOCK:
        _LIVE[proc.pid] = (proc, stop_signal)


def unregister(proc: subprocess.Popen[bytes]) -> None:
    """Forget a child that has been stopped."""
    with _LOCK:
        _LIVE.pop(proc.pid, None)


def signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the child's whole process group (the child leads it: start_new_session)."""
    # Group already gone (or its last member is a zombie we are about to reap): nothing to do.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def terminate(proc: subprocess.Popen[bytes], sig: signal.Signals, timeout: float) -> int | None:
    """Send `sig` to the child, wait up to `timeout`, then SIGKILL its group; returns the code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
    # Leftovers of the group (PostgreSQL backends, a JVM's helpers) must not survive either.
    signal_group(proc, signal.SIGKILL)
    unregister(proc)
    return proc.returncode


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (a crash: no shutdown code runs) and reap it."""
    signal_group(proc, signal.SIGKILL)
    proc.wait()
    unregister(proc)


def _kill_all_at_exit() -> None:
    with _LOCK:
        live = list(_LIVE.values())
    # Ask politely and in parallel first, so a PostgreSQL shutdown checkpoint can complete…
    for proc, sig in live:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
    deadline = time.monotonic() + 5
    for proc, _ in live:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, deadline - time.monotonic()))
        # …then make sure: no java or postgres child survives the interpreter.
        signal_group(proc, signal.SIGKILL)


atexit.register(_kill_all_at_exit)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when `host:port` can be bound right now (SO_REUSEADDR, like the servers do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(exclude: set[int] | None = None, host: str = "127.0.0.1") -> int:
    """A currently unused loopback TCP port, not in `exclude`."""
    exclude = exclude or set()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in exclude:
            return port


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a text file ('' when it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def run_sync(factory: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
    """Run the coroutine made by `factory` to completion from synchronous code.

    It runs on a fresh event loop in a helper thread, so it also works when the caller is itself
    inside a running loop (an async pytest fixture, a FastStream app) where `asyncio.run` refuses.
    """
    result: list[T] = []
    error: list[BaseException] = []

    async def main() -> T:
        return await factory()

    def target() -> None:
        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:  # re-raised in the calling thread
            error.append(exc)

    thread = threading.Thread(target=target, name="localinfra-run-sync", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"coroutine did not finish within {timeout}s")
    if error:
        raise error[0]
    return result[0]

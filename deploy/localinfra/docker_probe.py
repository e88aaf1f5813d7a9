"""Is a Docker engine really reachable? (The `docker` CLI being installed proves nothing.)"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

DEFAULT_SOCKET = "/var/run/docker.sock"


def _docker_address() -> tuple[int, str | tuple[str, int]] | None:
    """(address family, address) of the engine named by DOCKER_HOST, or the default socket."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        return socket.AF_UNIX, DEFAULT_SOCKET
    url = urlparse(host)
    if url.scheme == "unix":
        return socket.AF_UNIX, url.path or DEFAULT_SOCKET
    if url.scheme in ("tcp", "http") and url.hostname and not os.environ.get("DOCKER_TLS_VERIFY"):
        return socket.AF_INET, (url.hostname, url.port or 2375)
    # ssh://, npipe://, TLS endpoints: not probed here; callers treat them as "no engine".
    return None


def docker_engine_available(timeout: float = 1.0) -> bool:
    """True only if a Docker daemon answers `GET /_ping` with `200 OK` and body `OK`.

    Raw HTTP/1.0 over the socket (the server closes the connection after answering), so there is
    no dependency on the docker SDK and nothing blocks longer than `timeout`.
    """
    target = _docker_address()
    if target is None:
        return False
    family, address = target
    if family == socket.AF_UNIX and not os.path.exists(str(address)):
        return False
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            chunks: list[bytes] = []
            while sum(map(len, chunks)) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return False
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    return len(status) >= 2 and status[1] == b"200" and body.strip() == b"OK"

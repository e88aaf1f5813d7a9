"""A cap on request bodies, enforced before any route reads them.

A declared Content-Length over the cap is refused at once; a body sent in chunks is counted as it
arrives and refused when it crosses the cap, without being buffered whole. Upload routes (file
imports) may have a larger cap of their own, matched on the path; they still count what they read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, uploads: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (path regex, cap): the first whose regex matches the path (re.search) sets the cap.
        self.uploads = [(re.compile(pattern), cap) for pattern, cap in uploads]

    def cap_for(self, path: str) -> int:
        for pattern, cap in self.uploads:
            if pattern.search(path):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.cap_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await self._refuse(send, max_bytes)
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Answer now, and tell the app the client is gone: whatever it does with a
                    # half-read body (a 400, an exception) must not reach the client.
                    refused = True
                    if not started:
                        await self._refuse(send, max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send, max_bytes: int) -> None:
        limit_kib = max_bytes // 1024
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": "La requête dépasse la taille maximale autorisée "
                    f"({limit_kib} Kio).",
                    "max_bytes": max_bytes,
                }
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    headers: Any = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

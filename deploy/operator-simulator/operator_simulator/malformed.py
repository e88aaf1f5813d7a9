"""Garbled answers for accounts scripted with ``malformed: true``.

The request is processed as usual; its answer keeps its status and headers but only the first half
of its body bytes (XML left unclosed, JSON cut), so a client sees a reply it cannot read.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from operator_simulator.request_log import annotate_scope

MALFORMED_KEY = "operator_simulator.malformed"


def malform_answer(scope: Scope) -> None:
    """Cut this request's answer to half its body."""
    scope[MALFORMED_KEY] = True


class MalformedAnswerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def send_maybe_cut(message: Message) -> None:
            nonlocal start
            if not scope.get(MALFORMED_KEY):
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            cut = bytes(body[: len(body) // 2])
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            headers["content-length"] = str(len(cut))
            annotate_scope(scope, outcome="malformed_answer")
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": cut, "more_body": False})

        await self.app(scope, receive, send_maybe_cut)

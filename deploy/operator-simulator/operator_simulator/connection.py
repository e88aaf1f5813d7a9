"""Closing a connection without any answer, for the "drop" outages.

ASGI has no message for "hang up". Under uvicorn the request's ``receive`` callable is a method of
the connection's request cycle, which holds the asyncio transport: `SimulatorApp` keeps that
transport in the scope before any middleware wraps ``receive``, and `ConnectionDropMiddleware`
aborts it when a handler raises `DropConnection` (the request is not processed) or, when
`drop_answer` marked the scope, at the moment the answer would start (the request was processed).
Not a byte of answer is written: the client sees the connection closed (httpx raises
``RemoteProtocolError: Server disconnected without sending a response.``).

Under a server whose ``receive`` does not lead to a transport (an in-process ASGI transport, another
server), `DropConnection` propagates instead: httpx's ``ASGITransport`` raises it to the caller; a
server would answer 500.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from operator_simulator.request_log import annotate_scope

TRANSPORT_KEY = "operator_simulator.transport"
DROP_ANSWER_KEY = "operator_simulator.drop_answer"


class DropConnection(Exception):
    """End the exchange by closing the connection, without an answer."""


def drop_answer(scope: Scope) -> None:
    """Let the request be processed, then close the connection instead of answering."""
    scope[DROP_ANSWER_KEY] = True


class SimulatorApp(FastAPI):
    """FastAPI that remembers the server's transport for the connection of each request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(receive, "__self__", None), "transport", None)
            if isinstance(transport, asyncio.BaseTransport):
                scope[TRANSPORT_KEY] = transport
        await super().__call__(scope, receive, send)


class ConnectionDropMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer_dropped = False

        async def send_unless_dropped(message: Message) -> None:
            nonlocal answer_dropped
            if answer_dropped:
                return
            if message["type"] == "http.response.start" and scope.get(DROP_ANSWER_KEY):
                answer_dropped = True
                await _hang_up(scope)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_unless_dropped)
        except DropConnection:
            await _hang_up(scope)


async def _hang_up(scope: Scope) -> None:
    annotate_scope(scope, outcome="connection_dropped")
    transport = scope.get(TRANSPORT_KEY)
    if not isinstance(transport, asyncio.BaseTransport):
        raise DropConnection("no server transport to close for this request")
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()
    # Let the server's connection_lost run before the app returns, so it does not try to answer.
    await asyncio.sleep(0)

"""The composition root: one simulator, its receipt sender, the native API, the operators'
dialects and the control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from operator_simulator.api import public_router
from operator_simulator.connection import ConnectionDropMiddleware, SimulatorApp
from operator_simulator.control import control_router
from operator_simulator.dialects.digitaleo import digitaleo_router
from operator_simulator.dialects.envoyersmspro import envoyersmspro_router
from operator_simulator.dialects.pluriware import pluriware_router
from operator_simulator.errors import install_error_handlers
from operator_simulator.malformed import MalformedAnswerMiddleware
from operator_simulator.receipts import ReceiptSender
from operator_simulator.request_log import RequestLogMiddleware
from operator_simulator.state import Simulator


def create_app(*, receipt_backoff_s: float = 0.2) -> FastAPI:
    """A fresh simulator with empty memory; serve it with any ASGI server (uvicorn to drop)."""
    simulator = Simulator()
    receipts = ReceiptSender(simulator.clock, backoff_s=receipt_backoff_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await receipts.aclose()

    app = SimulatorApp(
        title="SMS operator simulator",
        description="A stand-in SMS operator for tests and demos. See README.md.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(public_router(simulator, receipts))
    app.include_router(pluriware_router(simulator))
    app.include_router(envoyersmspro_router(simulator))
    app.include_router(digitaleo_router(simulator))
    app.include_router(control_router(simulator, receipts))
    install_error_handlers(app)
    # The last added runs first: every request is logged, dropped ones included; an answer is cut
    # (malformed) before the drop middleware decides whether to send it at all.
    app.add_middleware(MalformedAnswerMiddleware)
    app.add_middleware(ConnectionDropMiddleware)
    app.add_middleware(RequestLogMiddleware, on_request=simulator.journal_request)
    return app

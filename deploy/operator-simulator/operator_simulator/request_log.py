"""One JSON line per request. Handlers add fields with `annotate`; numbers are logged masked only,
passwords never."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("operator_simulator.requests")

LOG_FIELDS_KEY = "operator_simulator.log_fields"


def annotate_scope(scope: Scope, **fields: Any) -> None:
    scope.setdefault(LOG_FIELDS_KEY, {}).update(fields)


def annotate(request: Request, **fields: Any) -> None:
    annotate_scope(request.scope, **fields)


class RequestLogMiddleware:
    """Logs each request; `on_request` (if given) also gets each line, e.g. for a journal."""

    def __init__(
        self, app: ASGIApp, on_request: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.app = app
        self.on_request = on_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | str = "no_answer"

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        except Exception:
            status = "error"
            raise
        finally:
            line = {
                "event": "request",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                **scope.get(LOG_FIELDS_KEY, {}),
            }
            logger.info(json.dumps(line, ensure_ascii=False))
            if self.on_request is not None:
                self.on_request(line)

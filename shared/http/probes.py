"""`/healthz`, `/readyz` and `/metrics`, the same on every service.

`/healthz` answers as long as the process serves requests and checks nothing else (a restart would
not cure a database outage). `/readyz` runs the service's readiness checks, each with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]


def probes_router(
    checks: Callable[[], Mapping[str, ReadinessCheck]],
    registry: CollectorRegistry,
    *,
    timeout: float = 3.0,
) -> APIRouter:
    """The probe routes; `checks` is read at request time (resources exist only after startup)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {name: await _run(check, timeout) for name, check in checks().items()}
        ready = bool(results) and all(results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _run(check: ReadinessCheck, deadline: float) -> bool:
    try:
        return await asyncio.wait_for(check(), deadline)
    except Exception as exc:  # a failing dependency is the answer, not an error
        log.info("readiness check failed", extra={"error": type(exc).__name__})
        return False

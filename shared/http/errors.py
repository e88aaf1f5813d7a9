"""Error answers every service shares: validation errors that never echo what was sent (it may
be a phone number or a password), and a generic 500 that says nothing of the internals."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: list[dict[str, Any]] = [
        {
            "location": ".".join(str(part) for part in error.get("loc", ())),
            "problem": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    return JSONResponse(
        {
            "error": {
                "code": "invalid_request",
                "message": "Requête invalide : "
                + "; ".join(f"{f['location']} : {f['problem']}" for f in fields),
                "fields": fields,
            }
        },
        status_code=422,
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unexpected error",
        exc_info=exc,
        extra={"method": request.method, "route": request.scope.get("route_path", "")},
    )
    return JSONResponse(
        {"error": {"code": "internal_error", "message": "Erreur interne : réessayer plus tard."}},
        status_code=500,
    )

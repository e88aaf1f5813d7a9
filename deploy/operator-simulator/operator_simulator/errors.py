"""Errors: JSON ``{"error": "<slug>", ...}`` for the native and control APIs; `Answer` carries a
ready-made response in a dialect's own format."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        error: str,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.headers = headers
        self.fields = fields


class Answer(Exception):
    """Stop handling the request and send this response as it is (the dialects' own formats)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def bad_request(exc: RequestValidationError | ValidationError) -> ApiError:
    # Only where and what: pydantic would otherwise echo the input, phone numbers included.
    detail = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
    return ApiError(400, "bad_request", detail=detail)


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(
            {"error": exc.error, **exc.fields}, status_code=exc.status_code, headers=exc.headers
        )

    async def on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return await on_api_error(request, bad_request(exc))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        error = ApiError(exc.status_code, slug, headers=dict(exc.headers or {}))
        return await on_api_error(request, error)

    async def on_answer(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Answer)
        return exc.response

    app.add_exception_handler(Answer, on_answer)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

"""What every page shares: templates, the session, anti-forgery checks, flash messages, errors.

The session cookie holds the same signed token the API takes (`shared.auth.http`), HTTP-only and
SameSite; each form carries an anti-forgery token bound to that session.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from events.domain.errors import DomainError, NotFound
from shared.auth import AuthError, Principal, Role, TokenService
from shared.auth.http import SESSION_COOKIE, csrf_token_for
from shared.runtime import Resources

HERE = Path(__file__).resolve().parent
FLASH_COOKIE = "sms_flash"
CSRF_FIELD = "csrf_token"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in page."""


class PageForbidden(Exception):
    """The session may not see this page (another school, or not the académie)."""


class FormRejected(Exception):
    """A form without this session's anti-forgery token, or with fields it does not have."""


@dataclass(frozen=True)
class Session:
    principal: Principal
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token_for(self.token)

    @property
    def is_academie(self) -> bool:
        return self.principal.role is Role.ACADEMIE_ADMIN

    @property
    def home(self) -> str:
        if self.is_academie:
            return "/academie"
        return f"/e/{sorted(self.principal.uais)[0]}/"


def host(request: Request) -> FastAPI:
    found: FastAPI = request.app.state.host
    return found


def resources(request: Request) -> Resources:
    res: Resources = host(request).state.resources
    return res


def tokens(request: Request) -> TokenService:
    found: TokenService = host(request).state.tokens
    return found


def current_session(request: Request) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    try:
        principal = tokens(request).verify(token)
    except AuthError:
        raise SignInRequired from None
    if principal.role not in (Role.STAFF, Role.ACADEMIE_ADMIN):
        raise PageForbidden
    return Session(principal, token)


def school_session(request: Request, uai: str) -> Session:
    session = current_session(request)
    if not session.principal.can_act_on(uai):
        raise PageForbidden
    return session


def academie_session(request: Request) -> Session:
    session = current_session(request)
    if not session.is_academie:
        raise PageForbidden
    return session


async def read_form(
    request: Request, session: Session | None, fields: Iterable[str], *, pre_session: str = ""
) -> dict[str, list[str]]:
    """The posted form, once its anti-forgery token is checked and every field is one we know."""
    form = await request.form()
    allowed = {CSRF_FIELD, *fields}
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key not in allowed:
            raise FormRejected
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    expected = session.csrf if session is not None else pre_session
    sent = (values.pop(CSRF_FIELD, [""]) or [""])[0]
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise FormRejected
    return values


async def read_uploads(
    request: Request, session: Session, fields: Iterable[str], max_bytes: int
) -> list[tuple[str, bytes]]:
    """The files chosen in a form's file fields (name, content), once the anti-forgery token is
    checked; `FileTooLarge` when one is past `max_bytes`."""
    allowed = set(fields)
    found: list[tuple[str, bytes]] = []
    async with request.form(max_files=len(allowed), max_fields=len(allowed) + 1) as form:
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode(), session.csrf.encode()
        ):
            raise FormRejected
        for key, value in form.multi_items():
            if key == CSRF_FIELD:
                continue
            if key not in allowed:
                raise FormRejected
            if isinstance(value, str) or not value.filename:
                continue
            data = await value.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise FileTooLarge(max_bytes)
            found.append((value.filename, data))
    return found


class FileTooLarge(Exception):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.message = f"Fichier trop volumineux : {max_bytes // 1000} ko au plus par import."


def first(values: dict[str, list[str]], key: str) -> str:
    return (values.get(key) or [""])[0].strip()


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: Session | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = request.cookies.get(FLASH_COOKIE)
    page = templates.get_template(template).render(
        {
            "request": request,
            "session": session,
            "csrf": session.csrf if session else context.get("csrf", ""),
            "flash": unquote(flash) if flash else None,
            "path": request.url.path,
            **context,
        }
    )
    response = HTMLResponse(page, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """303 to `url`, with a one-time message shown on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, quote(flash), max_age=60, httponly=True, samesite="strict", path="/"
        )
    return response


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def install_page_errors(ui: FastAPI) -> None:
    """Sign-in redirects, refusals and domain errors as pages, and the security headers."""

    @ui.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @ui.exception_handler(SignInRequired)
    async def sign_in(request: Request, _exc: Exception) -> Response:
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/connexion?suite={quote(target)}", status_code=303)

    @ui.exception_handler(PageForbidden)
    async def forbidden(request: Request, _exc: Exception) -> Response:
        return _problem(
            request,
            403,
            "Accès refusé",
            "Cette page n'est pas accessible avec "
            "votre compte : elle concerne un autre établissement ou un autre rôle.",
        )

    @ui.exception_handler(FormRejected)
    async def rejected(request: Request, _exc: Exception) -> Response:
        return _problem(
            request,
            403,
            "Formulaire refusé",
            "Le formulaire a expiré ou ne vient "
            "pas de cette application. Recharger la page puis recommencer.",
        )

    @ui.exception_handler(NotFound)
    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotFound)
        return _problem(request, 404, "Introuvable", exc.message)

    @ui.exception_handler(DomainError)
    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return _problem(request, exc.status, "Opération impossible", exc.message)

    @ui.exception_handler(404)
    async def missing(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):  # a program asking for a route that is not
            return JSONResponse(
                {"error": {"code": "not_found", "message": "Route inconnue."}}, status_code=404
            )
        return _problem(
            request,
            404,
            "Page introuvable",
            "Cette adresse ne correspond à aucune page. Revenir à l'accueil.",
        )


def _problem(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    try:
        session: Session | None = current_session(request)
    except (SignInRequired, PageForbidden):
        session = None
    return render(
        request,
        "problem.html",
        {"title": title, "message": message},
        session=session,
        status_code=status_code,
    )

"""Sign-in and sign-out pages."""

from __future__ import annotations

import math
import secrets
import time
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from events.ui.signin import THROTTLED, Authenticator, SourceThrottle
from events.ui.web import (
    Session,
    SignInRequired,
    current_session,
    first,
    read_form,
    redirect,
    render,
    tokens,
)
from shared.auth.http import SESSION_COOKIE

router = APIRouter()
# The sign-in form's own anti-forgery token, before any session exists.
SIGNIN_CSRF_COOKIE = "sms_signin_csrf"


def _safe_target(target: str) -> str | None:
    """Only a path of this site (never "//other.site" nor a full URL)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
async def root(request: Request) -> Response:
    try:
        session = current_session(request)
    except SignInRequired:
        return RedirectResponse("/connexion", status_code=303)
    return RedirectResponse(session.home, status_code=303)


def _form(
    request: Request,
    *,
    login: str = "",
    suite: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        {"title": "Connexion", "csrf": token, "login": login, "suite": suite, "errors": errors},
        status_code=status_code,
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
        path="/connexion",
    )
    return response


@router.get("/connexion")
async def sign_in_page(request: Request, suite: str = "") -> Response:
    try:
        session = current_session(request)
        return RedirectResponse(_safe_target(suite) or session.home, status_code=303)
    except SignInRequired:
        return _form(request, suite=suite)


@router.post("/connexion")
async def sign_in(request: Request) -> Response:
    values = await read_form(
        request,
        None,
        ("login", "password", "suite"),
        pre_session=request.cookies.get(SIGNIN_CSRF_COOKIE, ""),
    )
    login, password = first(values, "login"), (values.get("password") or [""])[0]
    suite = first(values, "suite")
    throttle: SourceThrottle = request.app.state.sign_in_throttle
    source = request.client.host if request.client else "?"
    wait = throttle.blocked_for(source, time.monotonic())
    if wait > 0:
        message = THROTTLED.format(minutes=max(1, math.ceil(wait / 60)))
        return _form(
            request, login=login, suite=suite, errors={"password": message}, status_code=429
        )
    authenticator: Authenticator = request.app.state.authenticator
    result = await authenticator.authenticate(login, password)
    if result.principal is None:
        throttle.failed(source, time.monotonic())
        errors = {result.field or "password": result.error or ""}
        return _form(request, login=login, suite=suite, errors=errors, status_code=401)
    principal = result.principal
    hours: float = request.app.state.session_hours
    token = tokens(request).mint(
        principal.subject, principal.role, principal.uais, ttl=timedelta(hours=hours)
    )

    response = redirect(_safe_target(suite) or Session(principal, token).home)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
        path="/",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/connexion")
    return response


@router.post("/deconnexion")
async def sign_out(request: Request) -> Response:
    try:
        session = current_session(request)
    except SignInRequired:
        return RedirectResponse("/connexion", status_code=303)
    await read_form(request, session, ())
    response = redirect("/connexion", "Vous êtes déconnecté(e).")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

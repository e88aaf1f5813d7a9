"""FastAPI dependencies: who is calling, and may they act on this school?

The API takes a bearer header; the web UI's session cookie carries the same token. Refusals say
nothing about the school asked for: an unknown school and a forbidden one look alike.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from shared.auth.tokens import AuthError, Principal, Role, TokenService

SESSION_COOKIE = "sms_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(session_token: str) -> str:
    """The anti-forgery token bound to a session: only a page that holds the session knows it
    (the cookie is HTTP-only), so another site cannot put it in a forged request."""
    return hashlib.sha256(b"csrf:" + session_token.encode()).hexdigest()


def token_service(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


def current_principal(
    request: Request, tokens: Annotated[TokenService, Depends(token_service)]
) -> Principal:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if not token:
        token = request.cookies.get(SESSION_COOKIE)
        # A browser sends the cookie with any site's request: an unsafe one must prove it comes
        # from one of our pages.
        if token and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), csrf_token_for(token).encode()):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    detail={
                        "code": "csrf_rejected",
                        "message": "Requête refusée : jeton anti-falsification absent ou "
                        "invalide. Recharger la page puis recommencer.",
                    },
                )
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={"code": "unauthenticated", "message": "Authentification requise."},
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return tokens.verify(token)
    except AuthError:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={"code": "invalid_token", "message": "Jeton invalide ou expiré."},
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

FORBIDDEN = HTTPException(
    status.HTTP_403_FORBIDDEN,
    detail={"code": "forbidden", "message": "Accès refusé pour cet établissement."},
)


def school_principal(uai: str, principal: CurrentPrincipal) -> Principal:
    """The caller, when it may act on the school `uai` of the route's path."""
    if not principal.can_act_on(uai):
        raise FORBIDDEN
    return principal


def academie_principal(principal: CurrentPrincipal) -> Principal:
    """The caller, when it holds the académie administrator role."""
    if principal.role is not Role.ACADEMIE_ADMIN:
        raise FORBIDDEN
    return principal


SchoolPrincipal = Annotated[Principal, Depends(school_principal)]
AcademiePrincipal = Annotated[Principal, Depends(academie_principal)]

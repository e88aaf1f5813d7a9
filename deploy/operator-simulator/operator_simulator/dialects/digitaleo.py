"""DIGITALEO: OAuth2 client credentials (``/token``) then ``/rest/sms`` with a Bearer token.

From the operator doc: the token request and answer (``access_token``, ``expires_in``), the send's
form fields ``text`` and ``contacts`` (a JSON array of ``{"recipient": "+336…"}``). Defined by the
simulator: the send's answer, the error bodies (OAuth2-style ``error``/``error_description``) and
the token lifetime (the account's ``token_lifetime_s``). No delivery-state API: none is documented.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from operator_simulator.access import admit
from operator_simulator.dialects.common import Outgoing, from_e164, lacks_credit, plan, record
from operator_simulator.state import Simulator

DIALECT = "digitaleo"

_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
_CONTACTS_SHAPE = 'contacts doit être un tableau JSON de {"recipient": "+33…"}'


def digitaleo_router(simulator: Simulator) -> APIRouter:
    router = APIRouter(prefix="/digitaleo")

    @router.post("/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return _error(
                400, "unsupported_grant_type", "grant_type doit valoir client_credentials"
            )
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return _error(400, "invalid_request", "client_id et client_secret sont requis")
        if not client_id or not client_secret:
            return _error(400, "invalid_request", "client_id et client_secret sont requis")
        config = await admit(simulator, request, client_id, plain_outages=True)
        if not config.accepts(client_secret):
            return _error(401, "invalid_client", "Identifiants client refusés")
        access_token = await simulator.issue_token(client_id, config.token_lifetime_s)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": config.token_lifetime_s,
            },
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/rest/sms")
    async def send_sms(request: Request) -> Response:
        form = await request.form()
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        issued = await simulator.token(presented.strip()) if scheme.lower() == "bearer" else None
        if issued is None:
            return _error(401, "invalid_token", "Jeton absent ou inconnu", _BEARER_CHALLENGE)
        config = await admit(simulator, request, issued.account, plain_outages=True)
        if config.reject_credentials or simulator.clock() >= issued.expires_at:
            return _error(401, "invalid_token", "Jeton expiré", _BEARER_CHALLENGE)
        received = {name: value for name, value in form.items() if isinstance(value, str)}
        text, contacts = received.get("text"), received.get("contacts")
        if not text:
            return _error(400, "invalid_request", "text est requis")
        if not contacts:
            return _error(400, "invalid_request", "contacts est requis")
        recipients = _recipients(contacts)
        if recipients is None:
            return _error(400, "invalid_request", _CONTACTS_SHAPE)
        if len(recipients) > config.max_batch:
            return _error(400, "invalid_request", f"Trop de contacts ({config.max_batch} au plus)")
        planned = plan(config, [Outgoing(from_e164(to), text, None, received) for to in recipients])
        if lacks_credit(config, planned):
            return _error(402, "insufficient_credit", "Crédit SMS insuffisant")
        stored = await record(simulator, request, issued.account, config, planned, dialect=DIALECT)
        results: list[dict[str, Any]] = []
        for to, item, message in zip(recipients, planned, stored, strict=True):
            accepted = message is not None
            results.append(
                {
                    "recipient": to,
                    "id": message.message_id if message else None,
                    "status": "accepted" if accepted else "rejected",
                    "sms": item.segments if accepted else 0,
                    "error": None if accepted else item.verdict,
                }
            )
        return JSONResponse({"messages": results})

    return router


def _recipients(contacts: str) -> list[str] | None:
    """The ``recipient`` of each contact, or None if `contacts` is not the documented shape."""
    try:
        parsed = json.loads(contacts)
    except json.JSONDecodeError:
        return None
    if not isinstance(parsed, list) or not parsed:
        return None
    recipients = []
    for contact in parsed:
        if not isinstance(contact, dict) or not isinstance(contact.get("recipient"), str):
            return None
        recipients.append(contact["recipient"])
    return recipients


def _error(
    status_code: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status_code,
        headers=headers,
    )

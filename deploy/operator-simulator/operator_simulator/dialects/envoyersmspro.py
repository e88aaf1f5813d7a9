"""Envoyer SMS Pro: the legacy API (HTTP Basic auth, XML answers: send, stats, credit) and the
newer key-based one (``/api/envoyer/sms``, JSON ``{resultat, id, erreurs}``).

From the operator doc: the paths, the fields, ``status``, ``message_id``, ``sms_sent``,
``sms_remaining``, ``error/error_message``, one ``recipient`` per number in the stats with
``status_id``, ``mobile_number`` and ``delivered_date``, ``{resultat, id, erreurs}``. Defined by the
simulator: the ``<response>`` root, the error texts and HTTP statuses, the ``status_id`` table
(`STATUS_IDS`), the date format, and per-recipient errors of the newer API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from operator_simulator.access import admit, basic_credentials
from operator_simulator.config import AccountConfig
from operator_simulator.dialects.common import (
    Outgoing,
    Planned,
    from_digits,
    from_digits_or_e164,
    lacks_credit,
    plan,
    record,
    valid_sender,
)
from operator_simulator.errors import Answer
from operator_simulator.lifecycle import Status, StoredMessage, state_at, transitions
from operator_simulator.segments import count_segments
from operator_simulator.state import Batch, BatchEntry, Simulator

DIALECT = "envoyersmspro"

# Defined by the simulator, not known of the real operator.
STATUS_IDS: Mapping[Status | Literal["invalid_number", "landline"], int] = {
    "accepted": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 4,
    "invalid_number": 5,
    "landline": 6,
}

Refusal = Literal[
    "missing_text",
    "missing_recipients",
    "invalid_sender",
    "too_long",
    "too_many",
    "no_valid",
    "no_credit",
]

_LEGACY_ERRORS: Mapping[Refusal, tuple[int, str]] = {
    "missing_text": (400, "Missing parameter: text"),
    "missing_recipients": (400, "Missing parameter: recipients"),
    "invalid_sender": (400, "Invalid sender name"),
    "too_long": (400, "Message too long"),
    "too_many": (400, "Too many recipients"),
    "no_valid": (400, "No valid recipient"),
    "no_credit": (402, "Insufficient credit"),
}
_KEY_API_ERRORS: Mapping[Refusal, tuple[int, str]] = {
    "missing_text": (400, "Paramètre manquant : message"),
    "missing_recipients": (400, "Paramètre manquant : destinataires"),
    "invalid_sender": (400, "Expéditeur invalide"),
    "too_long": (400, "Message trop long"),  # unused: the newer API takes long texts
    "too_many": (400, "Trop de destinataires"),
    "no_valid": (400, "Aucun destinataire valide"),
    "no_credit": (402, "Crédit insuffisant"),
}
_BAD_LOGIN = "Invalid login or password"
_BAD_KEY = "Clé invalide"
_UNREADABLE = "Requête illisible"
_DEFERRED = "Envoi différé non simulé : date doit être vide"
_RECIPIENT_REFUSALS = {"invalid_number": "numéro invalide", "landline": "numéro fixe"}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_XML_TYPE = "application/xml; charset=utf-8"
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="envoyersmspro"'}


@dataclass(frozen=True)
class SendRequest:
    text: str | None
    recipients: str | None
    sender: str | None
    long_allowed: bool
    received: Mapping[str, Any]


@dataclass(frozen=True)
class Sent:
    batch_id: str
    planned: list[Planned]
    stored: list[StoredMessage | None]


class Refused(Exception):
    def __init__(self, refusal: Refusal, planned: Sequence[Planned] = ()) -> None:
        super().__init__(refusal)
        self.refusal = refusal
        self.planned = planned


def envoyersmspro_router(simulator: Simulator) -> APIRouter:
    router = APIRouter(prefix="/envoyersmspro/api")

    async def legacy_session(request: Request) -> tuple[str, AccountConfig]:
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise Answer(_legacy_error(401, _BAD_LOGIN, _BASIC_CHALLENGE))
        account, password = credentials
        config = await admit(simulator, request, account, plain_outages=True)
        if not config.accepts(password):
            raise Answer(_legacy_error(401, _BAD_LOGIN, _BASIC_CHALLENGE))
        return account, config

    @router.post("/message/send")
    async def legacy_send(request: Request) -> Response:
        form = await request.form()
        account, config = await legacy_session(request)
        fields = {
            name: _text(form.get(name))
            for name in ("text", "recipients", "sendername", "longmessageallowed")
        }
        send = SendRequest(
            text=fields["text"],
            recipients=fields["recipients"],
            sender=fields["sendername"] or None,
            long_allowed=fields["longmessageallowed"] == "1",
            received=fields,
        )
        try:
            sent = await _send(simulator, request, account, config, send, from_digits)
        except Refused as refused:
            status, message = _LEGACY_ERRORS[refused.refusal]
            return _legacy_error(status, message)
        reply = _legacy_reply("success")
        details = SubElement(reply, "message")
        SubElement(details, "message_id").text = sent.batch_id
        sms_sent = sum(p.segments for p in sent.planned if p.verdict == "accepted")
        SubElement(details, "sms_sent").text = str(sms_sent)
        SubElement(details, "sms_remaining").text = str(config.credit)
        return _xml(reply)

    @router.post("/message/stats")
    async def legacy_stats(request: Request) -> Response:
        form = await request.form()
        account, _ = await legacy_session(request)
        batch_id = _text(form.get("messageid"))
        if not batch_id:
            return _legacy_error(400, "Missing parameter: messageid")
        batch = await simulator.batch(account, batch_id)
        if batch is None:
            return _legacy_error(404, "Message not found")
        messages = await simulator.messages(
            entry.message_id for entry in batch.entries if entry.message_id
        )
        now = simulator.clock()
        reply = _legacy_reply("success")
        details = SubElement(reply, "message")
        SubElement(details, "message_id").text = batch.batch_id
        for entry in batch.entries:
            status_id, delivered_date = _recipient_state(entry, messages, now)
            recipient = SubElement(details, "recipient")
            SubElement(recipient, "mobile_number").text = entry.number
            SubElement(recipient, "status_id").text = str(status_id)
            SubElement(recipient, "delivered_date").text = delivered_date
        return _xml(reply)

    @router.post("/account/getallaccounts")
    async def legacy_accounts(request: Request) -> Response:
        await request.form()
        account, config = await legacy_session(request)
        reply = _legacy_reply("success")
        entry = SubElement(SubElement(reply, "accounts"), "account")
        SubElement(entry, "login").text = account
        SubElement(entry, "sms_remaining").text = str(config.credit)
        return _xml(reply)

    @router.post("/envoyer/sms")
    async def key_send(request: Request) -> Response:
        fields = await _key_api_fields(request)
        if fields is None:
            return _key_api_answer(400, [_UNREADABLE])
        key = fields["key"]
        if not key:
            return _key_api_answer(401, [_BAD_KEY])
        config = await admit(simulator, request, key, plain_outages=True)
        if config.reject_credentials:
            return _key_api_answer(401, [_BAD_KEY])
        if fields["date"]:
            return _key_api_answer(400, [_DEFERRED])
        received = {
            name: fields[name] for name in ("destinataires", "message", "expediteur", "date")
        }
        send = SendRequest(
            text=fields["message"],
            recipients=fields["destinataires"],
            sender=fields["expediteur"] or None,
            long_allowed=True,
            received=received,
        )
        try:
            sent = await _send(simulator, request, key, config, send, from_digits_or_e164)
        except Refused as refused:
            status, message = _KEY_API_ERRORS[refused.refusal]
            return _key_api_answer(status, [*_recipient_errors(refused.planned), message])
        return _key_api_answer(200, _recipient_errors(sent.planned), batch_id=sent.batch_id)

    return router


async def _send(
    simulator: Simulator,
    request: Request,
    account: str,
    config: AccountConfig,
    send: SendRequest,
    parse_number: Callable[[str | None], str | None],
) -> Sent:
    """One text to every recipient, under one batch id; refused as a whole, or partly sent."""
    if not send.text:
        raise Refused("missing_text")
    numbers = [n.strip() for n in (send.recipients or "").split(",") if n.strip()]
    if not numbers:
        raise Refused("missing_recipients")
    if send.sender is not None and not valid_sender(send.sender):
        raise Refused("invalid_sender")
    if not send.long_allowed and count_segments(send.text) > 1:
        raise Refused("too_long")
    if len(numbers) > config.max_batch:
        raise Refused("too_many")
    outgoing = [Outgoing(parse_number(n), send.text, send.sender, send.received) for n in numbers]
    planned = plan(config, outgoing)
    if not any(p.verdict == "accepted" for p in planned):
        raise Refused("no_valid", planned)
    if lacks_credit(config, planned):
        raise Refused("no_credit")
    batch_id = await simulator.new_batch_id()
    stored = await record(
        simulator, request, account, config, planned, dialect=DIALECT, batch_id=batch_id
    )
    entries = tuple(
        BatchEntry(
            number=number,
            message_id=message.message_id if message else None,
            refusal=None if item.verdict == "accepted" else item.verdict,
        )
        for number, item, message in zip(numbers, planned, stored, strict=True)
    )
    await simulator.remember_batch(Batch(batch_id, account, entries))
    return Sent(batch_id, planned, stored)


def _recipient_state(
    entry: BatchEntry, messages: Mapping[str, StoredMessage], now: float
) -> tuple[int, str]:
    """``status_id`` and ``delivered_date`` (empty until the final state) of one recipient."""
    if entry.refusal is not None:
        return STATUS_IDS[entry.refusal], ""
    message = messages.get(entry.message_id or "")
    if message is None:  # cannot happen while the batch exists: both go at reset
        return STATUS_IDS["invalid_number"], ""
    state = state_at(message, now)
    final = transitions(message)[-1]
    reached_final = state.status in ("delivered", "undelivered")
    return STATUS_IDS[state.status], _stats_date(final.at) if reached_final else ""


def _stats_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _recipient_errors(planned: Sequence[Planned]) -> list[str]:
    return [
        f"Destinataire {position} : {_RECIPIENT_REFUSALS[item.verdict]}"
        for position, item in enumerate(planned, start=1)
        if item.verdict != "accepted"
    ]


async def _key_api_fields(request: Request) -> dict[str, str | None] | None:
    """The newer API's fields, form-encoded or JSON; None when the body cannot be read."""
    names = ("key", "destinataires", "message", "expediteur", "date")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict):
            return None
        return {name: _scalar_text(body.get(name)) for name in names}
    form = await request.form()
    return {name: _text(form.get(name)) for name in names}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _scalar_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _legacy_reply(status: str) -> Element:
    reply = Element("response")
    SubElement(reply, "status").text = status
    return reply


def _legacy_error(
    status_code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    reply = _legacy_reply("error")
    SubElement(SubElement(reply, "error"), "error_message").text = message
    return _xml(reply, status_code, headers)


def _xml(root: Element, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = _XML_DECLARATION + tostring(root, encoding="unicode")
    return Response(body, status_code=status_code, media_type=_XML_TYPE, headers=headers)


def _key_api_answer(
    status_code: int, errors: list[str], *, batch_id: str | None = None
) -> Response:
    body = {"resultat": 1 if batch_id else 0, "id": batch_id, "erreurs": errors}
    return JSONResponse(body, status_code=status_code)

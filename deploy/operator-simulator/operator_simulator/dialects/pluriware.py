"""PLURIWARE: ``xmlapi.php`` (an XML document in the form field ``data``, one ``sendMsg`` per
recipient, ``<err>``/``<desc>`` on failure) and the older ``httpapi.php`` (``OK``/``ERR`` lines).

From the operator doc: the paths, the fields, ``<err>``/``<desc>``, ``ERR``. Defined by the
simulator: the reply's elements for success (``msgId``, ``nbSms``), the error codes and texts, and
per-recipient errors inside ``sendMsg``. No delivery-state API: none is documented.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import ElementTree as SafeElementTree
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from operator_simulator.access import admit
from operator_simulator.dialects.common import (
    Outgoing,
    Planned,
    from_digits,
    from_e164,
    lacks_credit,
    plan,
    record,
)
from operator_simulator.lifecycle import StoredMessage
from operator_simulator.state import Simulator

DIALECT = "pluriware"

DESCRIPTIONS = {
    "AUTH": "Identifiant ou mot de passe incorrect",
    "CREDIT": "Crédit SMS insuffisant",
    "XML": "Document XML illisible",
    "CMD": "Commande inconnue",
    "NUMBER": "Numéro invalide",
    "LANDLINE": "Numéro fixe : ce numéro ne peut pas recevoir de SMS",
    "TEXT": "Texte du message vide",
}
_REFUSALS = {"invalid_number": "NUMBER", "landline": "LANDLINE"}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def pluriware_router(simulator: Simulator) -> APIRouter:
    router = APIRouter(prefix="/pluriware")

    @router.post("/xmlapi.php")
    async def xml_api(request: Request) -> Response:
        form = await request.form()
        data = form.get("data")
        if not isinstance(data, str):
            return _whole_request_error("XML")
        try:
            root = SafeElementTree.fromstring(data)
        except (ParseError, ValueError):  # defusedxml's refusals are ValueErrors
            return _whole_request_error("XML")
        if root.tag != "pluriAPI":
            return _whole_request_error("XML")
        login = root.findtext("login")
        if not login:
            return _whole_request_error("AUTH")
        config = await admit(simulator, request, login, plain_outages=True)
        if not config.accepts(root.findtext("password") or ""):
            return _whole_request_error("AUTH")
        elements = root.findall("sendMsg")
        if not elements:
            return _whole_request_error("XML")
        if len(elements) > config.max_batch:
            desc = f"Trop de messages dans la requête ({config.max_batch} au plus)"
            return _whole_request_error("BATCH", desc)
        received = [
            {"to": e.findtext("to"), "txt": e.findtext("txt"), "from": e.findtext("from")}
            for e in elements
        ]
        with_text = [fields for fields in received if fields["txt"]]
        planned = plan(
            config,
            [
                Outgoing(
                    number=from_e164((fields["to"] or "").strip()),
                    text=fields["txt"] or "",
                    sender=fields["from"] or None,
                    received=fields,
                )
                for fields in with_text
            ],
        )
        if lacks_credit(config, planned):
            return _whole_request_error("CREDIT")
        stored = await record(simulator, request, login, config, planned, dialect=DIALECT)
        outcomes = iter(zip(planned, stored, strict=True))
        reply = Element("pluriAPI")
        for fields in received:
            result = SubElement(reply, "sendMsg")
            SubElement(result, "to").text = fields["to"] or ""
            if not fields["txt"]:
                _add_error(result, "TEXT")
                continue
            item, message = next(outcomes)
            _add_result(result, item, message)
        return _xml(reply)

    @router.post("/httpapi.php")
    async def http_api(request: Request) -> Response:
        form = await request.form()
        fields = {name: _text(form.get(name)) for name in ("cmd", "user", "pass", "txt", "to")}
        fields["from"] = _text(form.get("from"))
        user = fields["user"]
        if not user:
            return _error_line("AUTH")
        config = await admit(simulator, request, user, plain_outages=True)
        if not config.accepts(fields["pass"] or ""):
            return _error_line("AUTH")
        if fields["cmd"] != "sendsms":
            return _error_line("CMD")
        if not fields["txt"]:
            return _error_line("TEXT")
        received = {name: fields[name] for name in ("cmd", "to", "txt", "from")}
        outgoing = Outgoing(
            number=from_digits((fields["to"] or "").strip()),
            text=fields["txt"],
            sender=fields["from"] or None,
            received=received,
        )
        (item,) = plan(config, [outgoing])
        if item.verdict != "accepted":
            return _error_line(_REFUSALS[item.verdict])
        if lacks_credit(config, [item]):
            return _error_line("CREDIT")
        (message,) = await record(simulator, request, user, config, [item], dialect=DIALECT)
        assert message is not None
        return PlainTextResponse(f"OK {message.message_id}")

    return router


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _add_error(parent: Element, code: str, desc: str | None = None) -> None:
    SubElement(parent, "err").text = code
    SubElement(parent, "desc").text = desc or DESCRIPTIONS[code]


def _add_result(result: Element, item: Planned, message: StoredMessage | None) -> None:
    if message is None:
        _add_error(result, _REFUSALS[item.verdict])
        return
    SubElement(result, "msgId").text = message.message_id
    SubElement(result, "nbSms").text = str(item.segments)


def _whole_request_error(code: str, desc: str | None = None) -> Response:
    reply = Element("pluriAPI")
    _add_error(reply, code, desc)
    return _xml(reply)


def _xml(root: Element) -> Response:
    body = _XML_DECLARATION + tostring(root, encoding="unicode")
    return Response(body, media_type="text/xml; charset=utf-8")


def _error_line(code: str) -> Response:
    return PlainTextResponse(f"ERR {code} {DESCRIPTIONS[code]}")

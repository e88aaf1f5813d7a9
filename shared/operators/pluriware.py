"""PLURIWARE (the "EPLE SMS" offer): the XML API.

Facts (docs/operators-and-sms.md): `POST <base>/xmlapi.php` with one form field `data` holding
`<pluriAPI><login/><password/><sendMsg><to>+336…</to><txt><![CDATA[…]]></txt><from/></sendMsg>…
</pluriAPI>`, one `sendMsg` per recipient; a reply holding an `<err>` is a failure, its text in
`<desc>`. Not public, and taken from the operator simulator's definition until the real answers
are known: the reply's shape (one `sendMsg` per `sendMsg` sent, in order, with `msgId` and
`nbSms`, or `err`/`desc`; an `err` directly under `pluriAPI` refusing the whole request) and the
error codes, all in `ANSWERS`.

PLURIWARE publishes no delivery state and pushes no receipts: its SMS end "envoyé, sans accusé".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import httpx

from shared.operators.base import (
    AccountCheck,
    AccountConfig,
    Capabilities,
    InboundReceipt,
    MalformedReceiptError,
    OutcomeUnknownError,
    OutgoingSms,
    PermanentOperatorError,
    ReceiptAnswer,
    SendResult,
    StatusReport,
    TransientOperatorError,
)
from shared.operators.http import (
    failure,
    local_name,
    operator_code,
    operator_request,
    parse_xml,
    retry_after_s,
)
from shared.states import SmsState

OPERATOR = "PLURIWARE"

FORM_FIELDS: dict[str, str] = {
    "key": "Identifiant (login) du compte EPLE SMS de PLURIWARE",
    "password": "Mot de passe du compte EPLE SMS",
    "option1": "Non utilisé",
    "option2": "Non utilisé",
}

# What each answer means: the canonical state and, for refusals, the reason code.
# Keys: "http:<status>" ("http:5xx" for every 5xx), "err:<code>" (an <err> element's text),
# "accepted" (a sendMsg answered with a msgId).
ANSWERS: dict[str, tuple[SmsState, str | None]] = {
    "accepted": (SmsState.IN_TRANSIT, None),
    "http:429": (SmsState.FAILED, "operator_unreachable"),
    "http:5xx": (SmsState.FAILED, "operator_unreachable"),
    "http:401": (SmsState.FAILED, "bad_credentials"),
    "http:403": (SmsState.FAILED, "bad_credentials"),
    "err:AUTH": (SmsState.FAILED, "bad_credentials"),
    "err:CREDIT": (SmsState.FAILED, "no_credit"),
    "err:XML": (SmsState.FAILED, "operator_refused"),
    "err:BATCH": (SmsState.FAILED, "operator_refused"),
    "err:NUMBER": (SmsState.INVALID, "invalid_number"),
    "err:LANDLINE": (SmsState.INVALID, "invalid_number"),
    "err:TEXT": (SmsState.FAILED, "operator_refused"),
}
_REFUSED: tuple[SmsState, str | None] = (SmsState.FAILED, "operator_refused")


class PluriwareAdapter:
    dialect: ClassVar[str] = "pluriware"
    capabilities = Capabilities(
        max_batch=100,
        rate_limit_per_s=50.0,
        supports_status_poll=False,
        max_status_batch=1,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=False,
    )

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        if not messages:
            return []
        root = await self._post(account, _document(account, messages), sending=True)
        answers = [child for child in root if local_name(child) == "sendmsg"]
        if len(answers) != len(messages):
            # Which SMS the operator took cannot be told: never guess, never resend blindly.
            raise OutcomeUnknownError(
                f"{OPERATOR} answered {len(answers)} results for {len(messages)} messages"
            )
        return [_result(m, a) for m, a in zip(messages, answers, strict=True)]

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        return []  # never asked: the capabilities say there is nothing to poll

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        raise PermanentOperatorError(
            f"{OPERATOR} offers no lookup by client reference", reason_code="not_supported"
        )

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        """A document with the login and no message: the credentials are checked (`AUTH`) before
        the empty document is refused (`XML`), and nothing is sent. PLURIWARE publishes no
        account or credit request; this relies on the order the simulator defines."""
        root = await self._post(account, _document(account, []), sending=False)
        error = _error_code(root)
        if error is None or error == "XML":
            return AccountCheck(
                detail="Identifiants acceptés ; PLURIWARE n'indique pas le crédit restant."
            )
        _, reason = ANSWERS.get(f"err:{error}", _REFUSED)
        raise failure(OPERATOR, reason or "operator_refused")

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        raise MalformedReceiptError(f"{OPERATOR} pushes no receipts")

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        return ReceiptAnswer(200 if accepted else 400, "")

    async def _post(self, account: AccountConfig, document: str, *, sending: bool) -> Element:
        """The answer's root; an `<err>` directly under it refuses the whole request."""
        url = account.base_url.rstrip("/") + "/xmlapi.php"
        response = await operator_request(
            self._client, "POST", url, operator=OPERATOR, sent_once=True, data={"data": document}
        )
        status = response.status_code
        if not 200 <= status < 300:
            key = "http:5xx" if status >= 500 else f"http:{status}"
            _, reason = ANSWERS.get(key, _REFUSED)
            raise failure(
                OPERATOR, reason or "operator_refused", retry_after=retry_after_s(response)
            )
        try:
            root = parse_xml(response.content)
        except ValueError:
            if sending:
                raise OutcomeUnknownError(f"{OPERATOR}: unreadable answer to a send") from None
            raise TransientOperatorError(f"{OPERATOR}: unreadable answer") from None
        if local_name(root) != "pluriapi":
            if sending:
                raise OutcomeUnknownError(f"{OPERATOR}: unexpected answer to a send")
            raise TransientOperatorError(f"{OPERATOR}: unexpected answer")
        error = _error_code(root)
        if sending and error is not None:
            _, reason = ANSWERS.get(f"err:{error}", _REFUSED)
            raise failure(OPERATOR, reason or "operator_refused")
        return root


def _document(account: AccountConfig, messages: Sequence[OutgoingSms]) -> str:
    parts = [
        "<pluriAPI>",
        f"<login>{escape(account.key)}</login>",
        f"<password>{escape(account.password)}</password>",
    ]
    for message in messages:
        parts.append(f"<sendMsg><to>{escape(message.to)}</to><txt>{_cdata(message.text)}</txt>")
        sender = message.sender or account.sender_name
        if sender:
            parts.append(f"<from>{escape(sender)}</from>")
        parts.append("</sendMsg>")
    parts.append("</pluriAPI>")
    return "".join(parts)


def _cdata(text: str) -> str:
    # A CDATA section cannot hold "]]>": close it and open another around the ">".
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _error_code(element: Element) -> str | None:
    """The code of an `<err>` directly under `element` (not those of its `sendMsg`)."""
    for child in element:
        if local_name(child) == "err":
            return (child.text or "").strip() or "?"
    return None


def _result(message: OutgoingSms, answer: Element) -> SendResult:
    fields = {local_name(child): (child.text or "").strip() for child in answer}
    error = _error_code(answer)
    if error is None and fields.get("msgid"):
        parts = fields.get("nbsms", "")
        return SendResult(
            client_reference=message.client_reference,
            state=ANSWERS["accepted"][0],
            provider_message_id=fields["msgid"],
            segments=int(parts) if parts.isdigit() and int(parts) > 0 else None,
            operator_code="accepted",
        )
    if error is None:
        raise OutcomeUnknownError(f"{OPERATOR}: a result with neither msgId nor err")
    # A refusal inside a sendMsg concerns that SMS only, whatever its code: the others of the
    # request may have been accepted.
    state, reason = ANSWERS.get(f"err:{error}", _REFUSED)
    return SendResult(
        client_reference=message.client_reference,
        state=state if state is SmsState.INVALID else SmsState.FAILED,
        operator_code=operator_code(error),
        reason_code=reason or "operator_refused",
    )

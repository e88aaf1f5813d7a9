"""Envoyer SMS Pro: the legacy API by default, the newer key-based API when option 1 is `cle`.

Facts (docs/operators-and-sms.md). Legacy: HTTP Basic auth (login:password);
`POST <base>/api/message/send` (form `text`, `recipients` as `336…` comma-separated, `sendername`
of at most 11 characters, `longmessageallowed=1`) answers XML with `status` (`success` or not),
`message/message_id`, `message/sms_sent`, `message/sms_remaining`, or `error/error_message`;
`POST <base>/api/message/stats` (`messageid`) answers one `recipient` per number with
`status_id`, `mobile_number`, `delivered_date`; `POST <base>/api/account/getallaccounts` answers
`sms_remaining`. Newer: `POST <base>/api/envoyer/sms` (`key`, `destinataires`, `message`,
`expediteur`, `date` empty for now) answers JSON `{resultat: 1|0, id, erreurs}`; no delivery
state is documented for it, so its SMS end "envoyé, sans accusé".

Not public, and taken from the operator simulator's definition until the real values are known:
the `status_id` table, the error texts, the HTTP statuses and `delivered_date`'s format (UTC
`YYYY-MM-DD HH:MM:SS`). All of it is in `ANSWERS`.

Each SMS is its own request: the operator gives one message id per request, shared by all its
recipients, and our texts differ from one pupil to the next anyway.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

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

OPERATOR = "Envoyer SMS Pro"

# Option 1's value that selects the newer key-based API (case and the accent of "clé" ignored).
KEY_API_OPTION = "cle"

FORM_FIELDS: dict[str, str] = {
    "key": "Identifiant (login) du compte Envoyer SMS Pro ; avec l'API par clé : la clé d'API",
    "password": "Mot de passe du compte (inutilisé avec l'API par clé)",
    "option1": (
        "Vide : API historique, avec le suivi de la remise de chaque SMS. "
        "« cle » : API par clé, sans accusé de remise (les SMS finissent « envoyé, sans accusé »)"
    ),
    "option2": "Non utilisé",
}

# What each answer means: the canonical state and, for refusals, the reason code.
# Keys: "http:<status>" ("http:5xx" for every 5xx), "error:<error_message>" (legacy),
# "erreur:<text of erreurs>" (newer API, without its "Destinataire <n> : " prefix),
# "status_id:<n>" (legacy stats); texts are compared case-folded.
ANSWERS: dict[str, tuple[SmsState, str | None]] = {
    "status:success": (SmsState.IN_TRANSIT, None),
    "resultat:1": (SmsState.IN_TRANSIT, None),
    "http:429": (SmsState.FAILED, "operator_unreachable"),
    "http:5xx": (SmsState.FAILED, "operator_unreachable"),
    "http:401": (SmsState.FAILED, "bad_credentials"),
    "http:402": (SmsState.FAILED, "no_credit"),
    "http:400": (SmsState.FAILED, "operator_refused"),
    "error:invalid login or password": (SmsState.FAILED, "bad_credentials"),
    "error:insufficient credit": (SmsState.FAILED, "no_credit"),
    "error:no valid recipient": (SmsState.INVALID, "invalid_number"),
    "error:invalid sender name": (SmsState.FAILED, "operator_refused"),
    "error:message too long": (SmsState.FAILED, "operator_refused"),
    "error:too many recipients": (SmsState.FAILED, "operator_refused"),
    "error:message not found": (SmsState.FAILED, "operator_refused"),
    "erreur:clé invalide": (SmsState.FAILED, "bad_credentials"),
    "erreur:crédit insuffisant": (SmsState.FAILED, "no_credit"),
    "erreur:numéro invalide": (SmsState.INVALID, "invalid_number"),
    "erreur:numéro fixe": (SmsState.INVALID, "invalid_number"),
    "erreur:aucun destinataire valide": (SmsState.INVALID, "invalid_number"),
    "erreur:expéditeur invalide": (SmsState.FAILED, "operator_refused"),
    "erreur:trop de destinataires": (SmsState.FAILED, "operator_refused"),
    "status_id:1": (SmsState.IN_TRANSIT, None),  # en attente
    "status_id:2": (SmsState.CARRIER_ACCEPTED, None),  # envoyé (handed to the carrier)
    "status_id:3": (SmsState.DELIVERED, None),
    "status_id:4": (SmsState.UNDELIVERED, None),
    "status_id:5": (SmsState.INVALID, "invalid_number"),  # numéro invalide, not sent
    "status_id:6": (SmsState.INVALID, "invalid_number"),  # numéro fixe, not sent
    "key_api:no_status": (SmsState.SENT_UNCONFIRMED, None),
}
_REFUSED: tuple[SmsState, str | None] = (SmsState.FAILED, "operator_refused")
_ACCOUNT_WIDE = ("bad_credentials", "no_credit", "operator_unreachable")
_RECIPIENT_PREFIX = re.compile(r"^\s*destinataire\s+\d+\s*:\s*", re.IGNORECASE)

# Status requests are one per message id; this many run at once for one account.
_STATUS_CONCURRENCY = 5


class EnvoyerSmsProAdapter:
    dialect: ClassVar[str] = "envoyersmspro"
    capabilities = Capabilities(
        max_batch=1,
        rate_limit_per_s=10.0,
        supports_status_poll=True,  # the key-based API answers "sans accusé" at the first poll
        max_status_batch=50,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=False,
    )

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        send = self._send_with_key if uses_key_api(account) else self._send_legacy
        return [await send(account, message) for message in messages]

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        if uses_key_api(account):
            state, _ = ANSWERS["key_api:no_status"]
            return [
                StatusReport(m, state, operator_code="key_api:no_status", changed_at=None)
                for m in provider_message_ids
            ]
        limit = asyncio.Semaphore(_STATUS_CONCURRENCY)

        async def one(message_id: str) -> StatusReport | None:
            async with limit:
                return await self._status_of(account, message_id)

        found = await asyncio.gather(*(one(m) for m in provider_message_ids))
        return [report for report in found if report is not None]

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        raise PermanentOperatorError(
            f"{OPERATOR} offers no lookup by client reference", reason_code="not_supported"
        )

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        """Legacy API: the credit request. The key-based API has no account request: nothing
        can be checked without sending an SMS, and the answer says so."""
        if uses_key_api(account):
            return AccountCheck(
                detail=(
                    "L'API par clé d'Envoyer SMS Pro n'a pas de requête de compte : la clé sera "
                    "vérifiée au premier envoi."
                )
            )
        response = await self._legacy(account, "/api/account/getallaccounts", {}, sent_once=True)
        root = _answer_xml(response, sending=False)
        credits = [_int(e.text) for e in root.iter() if local_name(e) == "sms_remaining"]
        known = [c for c in credits if c is not None]
        if not known:
            raise TransientOperatorError(f"{OPERATOR}: account answer without sms_remaining")
        return AccountCheck(credit_remaining=sum(known))

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        raise MalformedReceiptError(f"{OPERATOR} pushes no receipts")

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        return ReceiptAnswer(200 if accepted else 400, "")

    async def _send_legacy(self, account: AccountConfig, message: OutgoingSms) -> SendResult:
        form = {
            "text": message.text,
            "recipients": _digits(message.to),
            "longmessageallowed": "1",
        }
        sender = message.sender or account.sender_name
        if sender:
            form["sendername"] = sender
        response = await self._legacy(account, "/api/message/send", form, sent_once=True)
        root = _answer_xml(response, sending=True)
        if (_text(root, "status") or "").casefold() == "success":
            message_id = _text(root, "message_id")
            if not message_id:
                raise OutcomeUnknownError(f"{OPERATOR}: accepted without a message id")
            return _accepted(message, message_id, _int(_text(root, "sms_sent")), "success")
        error = _text(root, "error_message") or ""
        meaning = ANSWERS.get(f"error:{error.casefold()}") or _http_meaning(response)
        return _refused(message, meaning, error or f"http:{response.status_code}")

    async def _send_with_key(self, account: AccountConfig, message: OutgoingSms) -> SendResult:
        form = {
            "key": account.key,
            "destinataires": _digits(message.to),
            "message": message.text,
            "date": "",
        }
        sender = message.sender or account.sender_name
        if sender:
            form["expediteur"] = sender
        url = account.base_url.rstrip("/") + "/api/envoyer/sms"
        response = await operator_request(
            self._client, "POST", url, operator=OPERATOR, sent_once=True, data=form
        )
        _raise_if_unavailable(response)
        try:
            data: Any = response.json()
            accepted = str(data["resultat"]) == "1"
            errors = [_RECIPIENT_PREFIX.sub("", str(e)) for e in data.get("erreurs") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            if response.is_success:
                raise OutcomeUnknownError(f"{OPERATOR}: unreadable answer to a send") from None
            return _refused(message, _http_meaning(response), f"http:{response.status_code}")
        if accepted:
            if data.get("id") in (None, ""):
                raise OutcomeUnknownError(f"{OPERATOR}: accepted without a message id")
            return _accepted(message, str(data["id"]), None, "resultat:1")
        known = [(ANSWERS[f"erreur:{e.casefold()}"], e) for e in errors if _known_erreur(e)]
        # A refused recipient says more than the summary line that comes with it.
        known.sort(key=lambda item: item[0][0] is not SmsState.INVALID)
        if known:
            return _refused(message, known[0][0], known[0][1])
        return _refused(message, _http_meaning(response), f"http:{response.status_code}")

    async def _status_of(self, account: AccountConfig, message_id: str) -> StatusReport | None:
        response = await self._legacy(
            account, "/api/message/stats", {"messageid": message_id}, not_found_ok=True
        )
        if response.status_code == 404:
            return None  # not this account's (or not known yet): asked again at the next poll
        root = _answer_xml(response, sending=False)
        reports = [_recipient_report(message_id, e) for e in root.iter() if _is_recipient(e)]
        if not reports or any(r is None for r in reports):
            return None
        # One SMS, one recipient here; were there more, the least advanced one would tell.
        return min((r for r in reports if r is not None), key=lambda r: r.state.rank)

    async def _legacy(
        self,
        account: AccountConfig,
        path: str,
        form: dict[str, str],
        *,
        sent_once: bool = False,
        not_found_ok: bool = False,
    ) -> httpx.Response:
        """A legacy call; refusals of the account (credentials, credit) raise here, while a
        send's other refusals are read from its body."""
        response = await operator_request(
            self._client,
            "POST",
            account.base_url.rstrip("/") + path,
            operator=OPERATOR,
            sent_once=sent_once,
            auth=(account.key, account.password),
            data=form,
        )
        _raise_if_unavailable(response)
        if response.status_code == 404 and not_found_ok:
            return response
        _, reason = _http_meaning(response)
        if not response.is_success and (reason in _ACCOUNT_WIDE or path != "/api/message/send"):
            raise failure(OPERATOR, reason or "operator_refused")
        return response


def uses_key_api(account: AccountConfig) -> bool:
    """Whether the school's option 1 selects the newer key-based API (`cle` or `clé`)."""
    return (account.option1 or "").strip().casefold().replace("é", "e") == KEY_API_OPTION


def _digits(e164: str) -> str:
    """`+33612345678` → `33612345678`, the operator's number format."""
    return e164.removeprefix("+")


def _http_meaning(response: httpx.Response) -> tuple[SmsState, str | None]:
    status = response.status_code
    return ANSWERS.get("http:5xx" if status >= 500 else f"http:{status}", _REFUSED)


def _raise_if_unavailable(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise failure(OPERATOR, "operator_unreachable", retry_after=retry_after_s(response))


def _known_erreur(text: str) -> bool:
    return f"erreur:{text.casefold()}" in ANSWERS


def _accepted(message: OutgoingSms, message_id: str, parts: int | None, code: str) -> SendResult:
    return SendResult(
        client_reference=message.client_reference,
        state=SmsState.IN_TRANSIT,
        provider_message_id=message_id,
        segments=parts if parts and parts > 0 else None,
        operator_code=code,
    )


def _refused(message: OutgoingSms, meaning: tuple[SmsState, str | None], code: str) -> SendResult:
    """A bad number or a refusal of this SMS is its own result; a refusal of the account
    (credentials, credit) raises, for the whole batch and the school's health."""
    state, reason = meaning
    if reason in _ACCOUNT_WIDE:
        raise failure(OPERATOR, reason or "operator_refused")
    return SendResult(
        client_reference=message.client_reference,
        state=SmsState.INVALID if state is SmsState.INVALID else SmsState.FAILED,
        operator_code=operator_code(code),
        reason_code=reason or "operator_refused",
    )


def _answer_xml(response: httpx.Response, *, sending: bool) -> Element:
    try:
        return parse_xml(response.content)
    except ValueError:
        if sending and response.is_success:
            raise OutcomeUnknownError(f"{OPERATOR}: unreadable answer to a send") from None
        if sending:
            # A refusal we cannot read: nothing was sent, and nobody can tell why.
            raise PermanentOperatorError(
                f"{OPERATOR} refused a send ({response.status_code})",
                reason_code="operator_refused",
            ) from None
        raise TransientOperatorError(f"{OPERATOR}: unreadable answer") from None


def _text(root: Element, tag: str) -> str | None:
    for element in root.iter():
        if local_name(element) == tag:
            return (element.text or "").strip()
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _is_recipient(element: Element) -> bool:
    return local_name(element) == "recipient"


def _recipient_report(message_id: str, recipient: Element) -> StatusReport | None:
    fields = {local_name(child): (child.text or "").strip() for child in recipient}
    code = f"status_id:{fields.get('status_id', '')}"
    if code not in ANSWERS:
        return None  # a state we cannot name: ask again rather than guess
    return StatusReport(
        provider_message_id=message_id,
        state=ANSWERS[code][0],
        operator_code=code,
        changed_at=_utc(fields.get("delivered_date")),
    )


def _utc(value: str | None) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS` in UTC; empty or unreadable: unknown (the poller uses now)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

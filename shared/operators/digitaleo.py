"""DIGITALEO: OAuth2 client credentials, then the REST send.

Facts (docs/operators-and-sms.md): `POST <oauth-base>/token` (`grant_type=client_credentials`,
`client_id`, `client_secret`) answers `{access_token, expires_in}`; `POST <sms-base>/rest/sms` with
`Authorization: Bearer …`, `Accept: application/json` and form fields `text` and
`contacts=[{"recipient":"+336…"}]`. Their SDK refreshes the token shortly before it expires and
retries once on 401; so does this adapter, with one token cached per account. The key is the
client id, the password the client secret.

Not public, and taken from the operator simulator's definition until the real answers are known:
the send's answer (`{"messages": [{recipient, id, status, sms, error}]}`), the error bodies and
HTTP statuses, all in `ANSWERS`. No sender field is documented: the school's sender name is not
sent. DIGITALEO publishes no delivery state and pushes no receipts: its SMS end "envoyé, sans
accusé".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
from shared.operators.http import failure, operator_code, operator_request, retry_after_s
from shared.states import SmsState

OPERATOR = "DIGITALEO"

FORM_FIELDS: dict[str, str] = {
    "key": "Identifiant client OAuth2 (client_id) fourni par DIGITALEO",
    "password": "Secret client OAuth2 (client_secret)",
    "option1": (
        "Adresse du service d'authentification OAuth2 (https://…), si elle diffère de "
        "l'adresse d'envoi ; vide : la même"
    ),
    "option2": "Non utilisé",
}

# What each answer means: the canonical state and, for refusals, the reason code.
# Keys: "http:<status>" ("http:5xx" for every 5xx) of the send, "token:<error>" (the token
# endpoint's OAuth2 `error`, "token:http:<status>" when unreadable), "status:<status>" and
# "error:<error>" of each contact of the send's answer.
ANSWERS: dict[str, tuple[SmsState, str | None]] = {
    "status:accepted": (SmsState.IN_TRANSIT, None),
    "error:invalid_number": (SmsState.INVALID, "invalid_number"),
    "error:landline": (SmsState.INVALID, "invalid_number"),
    "http:401": (SmsState.FAILED, "bad_credentials"),  # after the one retry with a new token
    "http:402": (SmsState.FAILED, "no_credit"),
    "http:400": (SmsState.FAILED, "operator_refused"),
    "http:429": (SmsState.FAILED, "operator_unreachable"),
    "http:5xx": (SmsState.FAILED, "operator_unreachable"),
    "token:invalid_client": (SmsState.FAILED, "bad_credentials"),
    "token:invalid_request": (SmsState.FAILED, "bad_credentials"),  # id or secret missing
    "token:unauthorized_client": (SmsState.FAILED, "bad_credentials"),
    "token:unsupported_grant_type": (SmsState.FAILED, "operator_refused"),
    "token:http:401": (SmsState.FAILED, "bad_credentials"),
    "token:http:400": (SmsState.FAILED, "operator_refused"),
}
_REFUSED: tuple[SmsState, str | None] = (SmsState.FAILED, "operator_refused")

# A token is renewed this long before it expires (at most a tenth of its lifetime), so that a
# request never leaves with a token about to die on the way.
REFRESH_BEFORE_S = 60.0
# A token answer without `expires_in` is trusted this long.
DEFAULT_LIFETIME_S = 300.0


class DigitaleoAdapter:
    dialect: ClassVar[str] = "digitaleo"
    capabilities = Capabilities(
        max_batch=1,
        rate_limit_per_s=10.0,
        supports_status_poll=False,
        max_status_batch=1,
        supports_receipts=False,
        supports_long_messages=True,
        supports_client_reference_lookup=False,
    )

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_before_s: float = REFRESH_BEFORE_S,
    ) -> None:
        self._client = client
        self._tokens = _TokenCache(clock, refresh_before_s)

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        # One request per SMS: a request carries one text, and ours differ per pupil.
        return [await self._send(account, message) for message in messages]

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        return []  # never asked: the capabilities say there is nothing to poll

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        raise PermanentOperatorError(
            f"{OPERATOR} offers no lookup by client reference", reason_code="not_supported"
        )

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        """A new token: the client id and secret are checked; nothing is sent."""
        self._tokens.forget(account)
        await self._tokens.get(account, lambda: self._fetch_token(account, checking=True))
        return AccountCheck(
            detail="Identifiants OAuth2 acceptés ; DIGITALEO n'indique pas le crédit restant."
        )

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        raise MalformedReceiptError(f"{OPERATOR} pushes no receipts")

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        return ReceiptAnswer(200 if accepted else 400, "")

    async def _send(self, account: AccountConfig, message: OutgoingSms) -> SendResult:
        form = {"text": message.text, "contacts": json.dumps([{"recipient": message.to}])}
        url = account.base_url.rstrip("/") + "/rest/sms"
        response: httpx.Response | None = None
        for _attempt in range(2):
            token = await self._tokens.get(account, lambda: self._fetch_token(account))
            response = await operator_request(
                self._client,
                "POST",
                url,
                operator=OPERATOR,
                sent_once=True,
                data=form,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if response.status_code != 401:
                break
            # Expired early or revoked: a 401 means nothing was sent; one more try, new token.
            self._tokens.forget(account, token)
        assert response is not None
        status = response.status_code
        if not response.is_success:
            _, reason = ANSWERS.get("http:5xx" if status >= 500 else f"http:{status}", _REFUSED)
            raise failure(
                OPERATOR, reason or "operator_refused", retry_after=retry_after_s(response)
            )
        try:
            [entry] = response.json()["messages"]
            status_word = str(entry["status"])
        except (ValueError, KeyError, TypeError):
            raise OutcomeUnknownError(f"{OPERATOR}: unreadable answer to a send") from None
        return _result(message, entry, status_word)

    async def _fetch_token(self, account: AccountConfig, *, checking: bool = False) -> _Token:
        response = await operator_request(
            self._client,
            "POST",
            _token_url(account),
            operator=OPERATOR,
            # A token request changes nothing; only "Tester" tells a timeout apart.
            sent_once=checking,
            data={
                "grant_type": "client_credentials",
                "client_id": account.key,
                "client_secret": account.password,
            },
            headers={"Accept": "application/json"},
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise failure(OPERATOR, "operator_unreachable", retry_after=retry_after_s(response))
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if not response.is_success:
            error = data.get("error") if isinstance(data, dict) else None
            key = f"token:{error}" if f"token:{error}" in ANSWERS else f"token:http:{status}"
            _, reason = ANSWERS.get(key, _REFUSED)
            raise failure(OPERATOR, reason or "operator_refused")
        try:
            value = data["access_token"]
            lifetime = float(data.get("expires_in") or DEFAULT_LIFETIME_S)
        except (KeyError, TypeError, ValueError):
            raise TransientOperatorError(f"{OPERATOR}: unreadable token answer") from None
        if not isinstance(value, str) or not value:
            raise TransientOperatorError(f"{OPERATOR}: token answer without a token")
        return _Token(value, lifetime)


def _token_url(account: AccountConfig) -> str:
    base = (account.option1 or "").strip() or account.base_url
    if not base.startswith(("https://", "http://")):
        raise PermanentOperatorError(
            f"{OPERATOR}: option 1 is not an http(s) address", reason_code="bad_credentials"
        )
    return base.rstrip("/") + "/token"


def _result(message: OutgoingSms, entry: dict[str, Any], status_word: str) -> SendResult:
    if f"status:{status_word}" in ANSWERS and entry.get("id"):
        parts = entry.get("sms")
        return SendResult(
            client_reference=message.client_reference,
            state=ANSWERS[f"status:{status_word}"][0],
            provider_message_id=str(entry["id"]),
            segments=parts if isinstance(parts, int) and parts > 0 else None,
            operator_code=status_word,
        )
    if status_word == "accepted":
        raise OutcomeUnknownError(f"{OPERATOR}: accepted without a message id")
    error = str(entry.get("error") or status_word)
    state, reason = ANSWERS.get(f"error:{error}", _REFUSED)
    return SendResult(
        client_reference=message.client_reference,
        state=SmsState.INVALID if state is SmsState.INVALID else SmsState.FAILED,
        operator_code=operator_code(error),
        reason_code=reason or "operator_refused",
    )


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    lifetime_s: float


@dataclass
class _Cached:
    value: str = field(repr=False)
    refresh_at: float


class _TokenCache:
    """One token per account (token URL, client id and a digest of the secret: a new secret
    gets a new token), renewed shortly before it expires; one fetch at a time per account."""

    def __init__(self, clock: Callable[[], float], refresh_before_s: float) -> None:
        self._clock = clock
        self._refresh_before_s = refresh_before_s
        self._tokens: dict[tuple[str, str, str], _Cached] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def get(self, account: AccountConfig, fetch: Callable[[], Awaitable[_Token]]) -> str:
        key = _key(account)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.value
            token = await fetch()
            early = min(self._refresh_before_s, token.lifetime_s / 10)
            self._tokens[key] = _Cached(token.value, self._clock() + token.lifetime_s - early)
            return token.value

    def forget(self, account: AccountConfig, value: str | None = None) -> None:
        """Drop the account's token (only if it is still `value`, when given: another request
        may have renewed it meanwhile)."""
        key = _key(account)
        cached = self._tokens.get(key)
        if cached is not None and (value is None or cached.value == value):
            del self._tokens[key]


def _key(account: AccountConfig) -> tuple[str, str, str]:
    digest = hashlib.sha256(account.password.encode()).hexdigest()
    try:
        url = _token_url(account)
    except PermanentOperatorError:
        url = ""
    return (url, account.key, digest)

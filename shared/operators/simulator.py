"""The adapter of the project's operator simulator (`deploy/operator-simulator`), over HTTP.

The simulator has an API of its own (documented in its README): batch send with one message id per
recipient, batch status query, lookup by the client's reference, receipts. This adapter is written
from that documentation only; it shares no code with the simulator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from shared.operators.base import (
    AccountCheck,
    AccountConfig,
    Capabilities,
    InboundReceipt,
    MalformedReceiptError,
    OperatorTimeoutError,
    OutcomeUnknownError,
    OutgoingSms,
    PermanentOperatorError,
    ReceiptAnswer,
    SendResult,
    StatusReport,
    TransientOperatorError,
)
from shared.states import SmsState

# The simulator's status words and their canonical states; its codes are kept beside them.
STATUS_MAP: dict[str, SmsState] = {
    "accepted": SmsState.IN_TRANSIT,
    "sent": SmsState.CARRIER_ACCEPTED,
    "delivered": SmsState.DELIVERED,
    "undelivered": SmsState.UNDELIVERED,
}


class SimulatorAdapter:
    dialect: ClassVar[str] = "simulator"
    capabilities = Capabilities(
        max_batch=500,
        rate_limit_per_s=500.0,
        supports_status_poll=True,
        max_status_batch=500,
        supports_receipts=True,
        supports_long_messages=True,
        supports_client_reference_lookup=True,
    )

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        body = {
            "sender": account.sender_name,
            "messages": [
                {"to": m.to, "text": m.text, "client_ref": m.client_reference} for m in messages
            ],
        }
        # A failure before the request left is safe to retry; after, the outcome is unknown.
        data = await self._call(account, "POST", "/api/v1/messages", json=body, sent_once=True)
        results: list[SendResult] = []
        for item in data["results"]:
            if item["status"] == "accepted":
                results.append(
                    SendResult(
                        client_reference=item["client_ref"],
                        state=SmsState.IN_TRANSIT,
                        provider_message_id=item["message_id"],
                        segments=item.get("segments"),
                        operator_code="accepted",
                    )
                )
            else:
                error = item.get("error") or "rejected"
                results.append(
                    SendResult(
                        client_reference=item["client_ref"],
                        state=SmsState.INVALID if error == "invalid_number" else SmsState.FAILED,
                        operator_code=error,
                        reason_code="invalid_number" if error == "invalid_number" else error,
                    )
                )
        return results

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        data = await self._call(
            account, "POST", "/api/v1/statuses", json={"message_ids": list(provider_message_ids)}
        )
        reports: list[StatusReport] = []
        for item in data["statuses"]:
            state = STATUS_MAP.get(item["status"])
            if state is None:  # "unknown": the operator has no such message for this account
                continue
            reports.append(
                StatusReport(
                    provider_message_id=item["message_id"],
                    state=state,
                    operator_code=item.get("code") or item["status"],
                    changed_at=_parse_time(item.get("updated_at")),
                    client_reference=item.get("client_ref"),
                )
            )
        return reports

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        try:
            data = await self._call(
                account, "GET", "/api/v1/messages", params={"client_ref": client_reference}
            )
        except _NotFound:
            return None
        message = data["message"]
        return SendResult(
            client_reference=client_reference,
            state=STATUS_MAP.get(message["status"], SmsState.IN_TRANSIT),
            provider_message_id=message["message_id"],
            operator_code=message.get("code") or message["status"],
        )

    async def check_credentials(self, account: AccountConfig) -> AccountCheck:
        data = await self._call(account, "GET", "/api/v1/credit")
        credit = data.get("credit") if isinstance(data, dict) else None
        return AccountCheck(credit_remaining=credit if isinstance(credit, int) else None)

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        """The simulator POSTs one JSON object per transition (its README: account, message_id,
        client_ref, status, code, updated_at); the signature is checked by the webhook."""
        try:
            item = json.loads(receipt.body)
            status = item["status"]
            message_id = str(item["message_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedReceiptError(f"unreadable simulator receipt: {exc!r}") from None
        if not isinstance(status, str) or status not in STATUS_MAP:
            raise MalformedReceiptError(f"unknown simulator status {status!r}")
        try:
            changed_at = _parse_time(item.get("updated_at"))
        except (TypeError, ValueError):
            raise MalformedReceiptError("unreadable receipt time") from None
        return [
            StatusReport(
                provider_message_id=message_id,
                state=STATUS_MAP[status],
                operator_code=item.get("code") or status,
                changed_at=changed_at,
                client_reference=item.get("client_ref"),
            )
        ]

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        if accepted:
            return ReceiptAnswer(200, '{"ok":true}', "application/json")
        return ReceiptAnswer(400, '{"ok":false}', "application/json")

    async def _call(
        self,
        account: AccountConfig,
        method: str,
        path: str,
        *,
        sent_once: bool = False,
        **kwargs: Any,
    ) -> Any:
        url = account.base_url.rstrip("/") + path
        try:
            response = await self._client.request(
                method, url, auth=(account.key, account.password), **kwargs
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientOperatorError(f"simulator unreachable ({type(exc).__name__})") from None
        except httpx.TimeoutException as exc:
            if sent_once:
                raise OutcomeUnknownError(
                    f"no answer in time after sending ({type(exc).__name__})"
                ) from None
            raise OperatorTimeoutError(f"simulator too slow ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            if sent_once:
                raise OutcomeUnknownError(
                    f"no answer after sending ({type(exc).__name__})"
                ) from None
            raise TransientOperatorError(
                f"simulator did not answer ({type(exc).__name__})"
            ) from None
        return _interpret(response)


class _NotFound(Exception):
    pass


def _interpret(response: httpx.Response) -> Any:
    status = response.status_code
    if status == 200:
        return response.json()
    if status == 404:
        raise _NotFound
    if status == 401:
        raise PermanentOperatorError("credentials refused", reason_code="bad_credentials")
    if status == 402:
        raise PermanentOperatorError("no credit left", reason_code="no_credit")
    if status == 429 or status >= 500:
        raise TransientOperatorError(
            f"simulator answered {status}", retry_after_s=_retry_after(response)
        )
    raise PermanentOperatorError(f"simulator answered {status}", reason_code="operator_refused")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

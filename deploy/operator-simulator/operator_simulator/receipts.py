"""Delivery receipts pushed to an account's webhook when a message is sent and when it ends.

One background task per accepted message sleeps until each transition, then POSTs the receipt
(retrying a few times on failure). The API never waits for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from operator_simulator.lifecycle import MessageState, StoredMessage, transitions

logger = logging.getLogger("operator_simulator.receipts")

SIGNATURE_HEADER = "X-Simulator-Signature"


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str | None


def receipt_body(message: StoredMessage, state: MessageState) -> bytes:
    payload = {
        "account": message.account,
        "message_id": message.message_id,
        "client_ref": message.client_ref,
        "status": state.status,
        "code": state.code,
        "updated_at": state.updated_at,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signature(body: bytes, secret: str) -> str:
    """``sha256=`` + hex HMAC-SHA256 of the exact bytes sent."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ReceiptSender:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        retries: int = 3,
        backoff_s: float = 0.2,
        timeout_s: float = 2.0,
    ) -> None:
        self._clock = clock
        self._retries = retries
        self._backoff_s = backoff_s
        self._timeout = httpx.Timeout(timeout_s, pool=None)  # a burst queues, it does not fail
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, message: StoredMessage, webhook: Webhook) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(message, webhook))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_pending(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        await self.cancel_pending()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _deliver(self, message: StoredMessage, webhook: Webhook) -> None:
        # Sequential on purpose: the final receipt never overtakes the "sent" one.
        for state in transitions(message)[1:]:
            await asyncio.sleep(max(0.0, state.at - self._clock()))
            await self._post(webhook, receipt_body(message, state), message, state)

    async def _post(
        self, webhook: Webhook, body: bytes, message: StoredMessage, state: MessageState
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if webhook.secret:
            headers[SIGNATURE_HEADER] = signature(body, webhook.secret)
        failure = ""
        for attempt in range(1 + self._retries):
            if attempt:
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = await self._http().post(webhook.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                failure = type(exc).__name__
                continue
            if response.is_success:
                return
            failure = f"HTTP {response.status_code}"
        _log_failure(message, state, failure, attempts=1 + self._retries)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client


def _log_failure(message: StoredMessage, state: MessageState, failure: str, attempts: int) -> None:
    fields: dict[str, Any] = {
        "event": "receipt_not_delivered",
        "account": message.account,
        "message_id": message.message_id,
        "status": state.status,
        "attempts": attempts,
        "failure": failure,
    }
    logger.warning(json.dumps(fields))

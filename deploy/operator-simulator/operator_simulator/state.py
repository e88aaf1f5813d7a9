"""The simulator's memory: account configurations and every accepted message.

Everything runs on one event loop; the lock keeps each operation atomic should one ever await
inside (and makes the intent explicit). Message ids come from one counter shared by all accounts
that a reset does not rewind, so an id is never reused within a process.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from operator_simulator.config import AccountConfig
from operator_simulator.lifecycle import NewMessage, StoredMessage, iso_utc

JOURNAL_SIZE = 10_000  # the latest requests kept by GET /_control/requests


class Simulator:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._defaults = AccountConfig()
        # Only the fields an account set itself: the rest follow the defaults, even later changes.
        self._overrides: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, StoredMessage] = {}  # insertion order = acceptance order
        self._latest_by_ref: dict[tuple[str, str], str] = {}
        # Envoyer SMS Pro: one id per send, its recipients in order (refused ones included).
        self._batch_ids = itertools.count(1)
        self._batches: dict[str, Batch] = {}
        # DIGITALEO: access token -> who it was issued to and until when.
        self._tokens: dict[str, IssuedToken] = {}
        self._journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_SIZE)

    # Configuration

    async def defaults(self) -> AccountConfig:
        async with self._lock:
            return self._defaults

    async def configure_defaults(self, update: dict[str, Any]) -> AccountConfig:
        async with self._lock:
            self._defaults = self._defaults.merged(update)
            return self._defaults

    async def config_for(self, account: str) -> AccountConfig:
        async with self._lock:
            return self._effective(account)

    async def overridden_fields(self, account: str) -> list[str]:
        async with self._lock:
            return sorted(self._overrides.get(account, {}))

    async def configure_account(self, account: str, update: dict[str, Any]) -> AccountConfig:
        async with self._lock:
            merged = self._effective(account).merged(update)  # validates before storing anything
            normalized = merged.model_dump()
            overrides = self._overrides.setdefault(account, {})
            overrides.update({field: normalized[field] for field in update})
            return merged

    def _effective(self, account: str) -> AccountConfig:
        overrides = self._overrides.get(account)
        return self._defaults.merged(overrides) if overrides else self._defaults

    # Messages

    async def accept(self, messages: Sequence[NewMessage]) -> list[StoredMessage]:
        """Give each message an id (consecutive within a batch) and remember it."""
        async with self._lock:
            now = self.clock()
            stored = [
                StoredMessage(f"SIM-{next(self._ids):08d}", now, message) for message in messages
            ]
            for message in stored:
                self._messages[message.message_id] = message
                if message.client_ref is not None:
                    key = (message.account, message.client_ref)
                    self._latest_by_ref[key] = message.message_id
            return stored

    async def owned(self, account: str, message_ids: Iterable[str]) -> dict[str, StoredMessage]:
        """The messages among `message_ids` that `account` sent; others are absent."""
        async with self._lock:
            found = (self._messages.get(message_id) for message_id in message_ids)
            return {m.message_id: m for m in found if m is not None and m.account == account}

    async def latest_with_client_ref(self, account: str, client_ref: str) -> StoredMessage | None:
        async with self._lock:
            message_id = self._latest_by_ref.get((account, client_ref))
            return self._messages[message_id] if message_id else None

    async def submissions(self, account: str | None = None) -> list[StoredMessage]:
        async with self._lock:
            return [m for m in self._messages.values() if account is None or m.account == account]

    async def messages(self, message_ids: Iterable[str]) -> dict[str, StoredMessage]:
        async with self._lock:
            found = (self._messages.get(message_id) for message_id in message_ids)
            return {m.message_id: m for m in found if m is not None}

    # Envoyer SMS Pro batches

    async def new_batch_id(self) -> str:
        async with self._lock:
            return f"ESP-{next(self._batch_ids):08d}"

    async def remember_batch(self, batch: Batch) -> None:
        async with self._lock:
            self._batches[batch.batch_id] = batch

    async def batch(self, account: str, batch_id: str) -> Batch | None:
        """The batch, if `account` sent it."""
        async with self._lock:
            batch = self._batches.get(batch_id)
            return batch if batch is not None and batch.account == account else None

    # DIGITALEO access tokens

    async def issue_token(self, account: str, lifetime_s: int) -> str:
        async with self._lock:
            token = "dgo-" + secrets.token_hex(20)
            self._tokens[token] = IssuedToken(account, self.clock() + lifetime_s)
            return token

    async def token(self, token: str) -> IssuedToken | None:
        async with self._lock:
            return self._tokens.get(token)

    # What the public APIs received

    def journal_request(self, line: Mapping[str, Any]) -> None:
        """Remember one request to a public API (called once its answer is settled)."""
        if str(line.get("path", "")).startswith("/_control"):
            return
        self._journal.append(
            {
                "at": iso_utc(self.clock()),
                "method": line.get("method"),
                "path": line.get("path"),
                "account": line.get("account"),
                "status": line.get("status"),
                "outcome": line.get("outcome"),
            }
        )

    async def journal(self, account: str | None = None) -> list[dict[str, Any]]:
        async with self._lock:
            return [r for r in self._journal if account is None or r["account"] == account]

    async def reset(self) -> None:
        """Forget every message, batch, token and configuration (the id counters go on)."""
        async with self._lock:
            self._defaults = AccountConfig()
            self._overrides.clear()
            self._messages.clear()
            self._latest_by_ref.clear()
            self._batches.clear()
            self._tokens.clear()
            self._journal.clear()


@dataclass(frozen=True)
class BatchEntry:
    """One recipient of an Envoyer SMS Pro send: the number as received and what became of it."""

    number: str
    message_id: str | None  # None when refused at submission
    refusal: Literal["invalid_number", "landline"] | None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    account: str
    entries: tuple[BatchEntry, ...]


@dataclass(frozen=True)
class IssuedToken:
    account: str
    expires_at: float  # seconds since the epoch

"""The simulator's memory: account configurations and every accepted message.

Everything runs on one event loop; the lock keeps each operation atomic should one ever await
inside (and makes the intent explicit). Message ids come from one counter shared by all accounts
that a reset does not rewind, so an id is never reused within a process.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from operator_simulator.config import AccountConfig
from operator_simulator.lifecycle import NewMessage, StoredMessage


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
                self._latest_by_ref[(message.account, message.client_ref)] = message.message_id
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

    async def reset(self) -> None:
        """Forget every message and configuration (the id counter goes on)."""
        async with self._lock:
            self._defaults = AccountConfig()
            self._overrides.clear()
            self._messages.clear()
            self._latest_by_ref.clear()

"""Sending the queued SMS, per school account, through the account's operator adapter.

A scheduling round looks at what waits per school and starts one lane per school with due SMS.
A lane serves its school alone: quiet hours, the account's circuit breaker, pacing at the
operator's rate in batches of its size; so a slow, failing or sleeping operator holds up only its
own school, never the others sharing its Kafka partition or this process. Claims use row locks that
skip locked rows: replicas and lanes never take the same SMS. Results, the state changes and the
messages they cause are written in one transaction per school and step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg

from dispatcher.adapters import leases, queue
from dispatcher.adapters.metrics import SenderMetrics
from dispatcher.adapters.queue import QueuedSms, SchoolQueue
from dispatcher.app.calls import OperatorCalls, RetryPolicy
from dispatcher.app.health import SchoolHealth
from dispatcher.app.outcomes import Outcome, record, unconfirmed
from dispatcher.domain.circuit import Circuit
from dispatcher.domain.pacing import TokenBucket
from dispatcher.domain.quiet import parse_quiet_hours, quiet_until
from shared.crypto import SecretBox
from shared.db.outbox import OutboxRelay, enqueue
from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.operators.accounts import SchoolAccount, load_accounts
from shared.operators.base import AdapterRegistry, OperatorAdapter, PermanentOperatorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderConfig:
    claim_limit: int = 2000
    concurrency: int = 32
    tick_s: float = 0.2
    max_queue_age_s: float = 3 * 3600
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    sending_timeout_s: float = 120.0
    no_provider_wait_s: float = 900.0
    circuit_threshold: int = 3
    circuit_cooldown_s: float = 30.0
    health_interval_s: float = 60.0
    health_batch: int = 500
    lease_ttl_s: float = 60.0


class Sender:
    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        registry: AdapterRegistry,
        box: SecretBox,
        relay: OutboxRelay,
        config: SenderConfig,
        metrics: SenderMetrics,
    ) -> None:
        self._pool = pool
        self._registry = registry
        self._box = box
        self._relay = relay
        self._config = config
        self._metrics = metrics
        self._calls = OperatorCalls(
            box,
            RetryPolicy(config.max_queue_age_s, config.retry_base_s, config.retry_max_s),
            metrics,
        )
        self._limit = asyncio.Semaphore(config.concurrency)
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._side: set[asyncio.Task[None]] = set()
        self._reconciling: set[str] = set()
        self._health: dict[str, SchoolHealth] = {}
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._waiting: dict[str, int] = {}
        self._last_recovery = -1e9
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"

    async def run(self) -> None:
        """Schedule until cancelled; the lanes are cancelled with it."""
        try:
            while True:
                await self.run_once()
                await asyncio.sleep(self._config.tick_s)
        finally:
            tasks = [*self._lanes.values(), *self._side]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self) -> int:
        """One round: recover SMS stuck in "sending", start a lane for each school with due SMS
        and none running, tell schools' operator health; returns how many lanes started."""
        now = asyncio.get_running_loop().time()
        if now - self._last_recovery > min(10.0, self._config.sending_timeout_s / 2):
            self._last_recovery = now
            await self._recover()
        queues = await self._queues()
        started = 0
        for school in queues:
            if school.due == 0 or school.uai in self._lanes:
                continue
            health = self._health.get(school.uai)
            age = (datetime.now(UTC) - school.oldest_queued_at).total_seconds()
            if (
                health is not None
                and health.circuit.reopens_in(now) > 0
                and age < self._config.max_queue_age_s
            ):
                continue  # the circuit is open: nothing to do before the probe or the expiry
            self._lanes[school.uai] = asyncio.create_task(self._lane(school.uai))
            started += 1
        await self._publish_health()
        return started

    async def _queues(self) -> list[SchoolQueue]:
        async with self._pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "dispatcher: what waits per school")
            queues = await queue.school_queues(conn)
        self._waiting = {q.uai: q.waiting for q in queues}
        oldest = min((q.oldest_queued_at for q in queues), default=None)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        self._metrics.waiting(self._waiting, age)
        self._metrics.circuits(Counter(h.circuit.state for h in self._health.values()))
        return queues

    async def _lane(self, uai: str) -> None:
        try:
            while await self._step(uai):
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            # An unexpected failure must not strand the SMS in "sending": the recovery round
            # reconciles them once `sending_timeout_s` has passed.
            log.exception("sending failed unexpectedly", extra={"uai": uai})
        finally:
            self._lanes.pop(uai, None)
            await self._release(uai)

    async def _release(self, uai: str) -> None:
        try:
            async with tenant_transaction(self._pool, {uai}) as conn:
                await leases.release(conn, uai, self._holder)
        except Exception:  # it expires on its own
            log.warning("could not release an account lease", extra={"uai": uai})

    async def _step(self, uai: str) -> bool:
        """Serve one batch of the school; False when there is nothing more to do for now."""
        async with tenant_transaction(self._pool, {uai}, readonly=True) as conn:
            account = (await load_accounts(conn, [uai])).get(uai)
            quiet = await queue.quiet_hours(conn, uai) if account else None
        if account is None or not account.has_provider:
            await self._without_provider(uai)
            return False
        if not account.sms_enabled:
            return await self._refuse_all(uai, account, "sms_not_enabled")
        until = quiet_until(datetime.now(UTC), account.time_zone, parse_quiet_hours(quiet))
        if until is not None:
            async with tenant_transaction(self._pool, {uai}) as conn:
                await queue.postpone(conn, uai, until)
            return False
        try:
            adapter = self._registry.get(account.dialect or "")
        except PermanentOperatorError:
            return await self._refuse_all(uai, account, "provider_not_supported")
        health = self._health_of(uai, account)
        loop = asyncio.get_running_loop()
        if not health.circuit.allows(loop.time()):
            return await self._expire(uai, account)
        probing = health.circuit.state == "half_open"
        size = 1 if probing else adapter.capabilities.max_batch
        bucket = self._bucket(account, adapter)
        wait = bucket.take(size, loop.time())
        if wait > 0:
            await asyncio.sleep(wait)
        async with self._limit:
            async with tenant_transaction(self._pool, {uai}) as conn:
                rows = []
                if await leases.take(conn, uai, self._holder, self._config.lease_ttl_s):
                    rows = await queue.claim_due_for_school(conn, uai, size)
            bucket.refund(size - len(rows))
            if not rows:
                if probing:
                    health.circuit.release()
                return False
            outcome = await self._calls.send(adapter, account, rows, health)
            self._told(health, outcome)
            await record(self._pool, uai, outcome, self._metrics, account.provider_code or "")
        self._relay.wake()
        return health.circuit.state == "closed"

    async def _without_provider(self, uai: str) -> None:
        """Settings and requests travel on different topics: wait a bounded time for the
        school's account, then fail with "no provider configured"."""
        async with tenant_transaction(self._pool, {uai}) as conn:
            rows = await queue.claim_due_for_school(conn, uai, self._config.claim_limit)
        outcome = Outcome()
        now = datetime.now(UTC)
        for sms in rows:
            left = self._config.no_provider_wait_s - (now - sms.queued_at).total_seconds()
            if left <= 0:
                outcome.rejected.append((sms, "no_provider", None))
            else:
                outcome.requeued.append((sms, min(5.0, left), "school account not known yet"))
        await record(self._pool, uai, outcome, self._metrics)

    async def _refuse_all(self, uai: str, account: SchoolAccount, reason: str) -> bool:
        async with tenant_transaction(self._pool, {uai}) as conn:
            rows = await queue.claim_due_for_school(conn, uai, self._config.claim_limit)
        outcome = Outcome(rejected=[(sms, reason, None) for sms in rows])
        await record(self._pool, uai, outcome, self._metrics, account.provider_code or "")
        return bool(rows)

    async def _expire(self, uai: str, account: SchoolAccount) -> bool:
        """While the circuit is open the SMS stay queued; past the age limit they fail."""
        async with tenant_transaction(self._pool, {uai}) as conn:
            rows = await queue.claim_due_for_school(
                conn, uai, self._config.claim_limit, queued_before_s=self._config.max_queue_age_s
            )
        outcome = Outcome(rejected=[(sms, "operator_unreachable", None) for sms in rows])
        await record(self._pool, uai, outcome, self._metrics, account.provider_code or "")
        return bool(rows)

    async def _recover(self) -> None:
        """SMS left in "sending" by a dispatcher that died mid-call: reconcile them, per school."""
        async with self._pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "dispatcher: claim stale SMS")
            stale = await queue.claim_stale_sending(
                conn,
                self._config.sending_timeout_s,
                self._config.claim_limit,
                skip_uais=sorted(self._reconciling),
            )
            if not stale:
                return
            accounts = await load_accounts(conn, {s.uai for s in stale})
        for uai, rows in _by_school(stale).items():
            self._reconciling.add(uai)
            task = asyncio.create_task(self._reconcile_school(uai, rows, accounts.get(uai)))
            self._side.add(task)
            task.add_done_callback(self._side.discard)

    async def _reconcile_school(
        self, uai: str, rows: list[QueuedSms], account: SchoolAccount | None
    ) -> None:
        outcome = Outcome()
        provider = (account.provider_code if account else None) or ""
        adapter: OperatorAdapter | None = None
        if account is not None and account.has_provider:
            try:
                adapter = self._registry.get(account.dialect or "")
            except PermanentOperatorError:
                adapter = None
        try:
            async with self._limit:
                if account is None or adapter is None:
                    outcome.submitted += [(sms, unconfirmed(sms), provider) for sms in rows]
                else:
                    await self._calls.reconcile(adapter, account, rows, outcome)
                await record(self._pool, uai, outcome, self._metrics, provider)
        except Exception:
            log.exception("reconciliation failed unexpectedly", extra={"uai": uai})
        finally:
            self._reconciling.discard(uai)
        self._relay.wake()

    def _health_of(self, uai: str, account: SchoolAccount) -> SchoolHealth:
        health = self._health.get(uai)
        if health is None:
            circuit = Circuit(self._config.circuit_threshold, self._config.circuit_cooldown_s)
            health = self._health[uai] = SchoolHealth(uai, circuit)
        health.provider_code = account.provider_code
        return health

    def _bucket(self, account: SchoolAccount, adapter: OperatorAdapter) -> TokenBucket:
        """Rate limits are per operator account (schools sharing one share its pace)."""
        key = (account.dialect or "", account.base_url or "", account.account_key or "")
        bucket = self._buckets.get(key)
        if bucket is None:
            capabilities = adapter.capabilities
            bucket = self._buckets[key] = TokenBucket(
                capabilities.rate_limit_per_s, float(capabilities.max_batch)
            )
        return bucket

    def _told(self, health: SchoolHealth, outcome: Outcome) -> None:
        """A circuit change is told with the results that caused it, in their transaction."""
        if health.published is None:
            waiting = self._waiting.get(health.uai, 0)
            outcome.extra.append(health.message(waiting))
            health.mark_published(waiting, asyncio.get_running_loop().time())

    async def _publish_health(self) -> None:
        """Periodically (and on changes not yet told), bounded per round."""
        now = asyncio.get_running_loop().time()
        interval = self._config.health_interval_s
        due = [
            h for h in self._health.values() if h.due(self._waiting.get(h.uai, 0), now, interval)
        ][: self._config.health_batch]
        if not due:
            return
        messages = []
        for health in due:
            waiting = self._waiting.get(health.uai, 0)
            messages.append(health.message(waiting))
            health.mark_published(waiting, now)
        async with tenant_transaction(self._pool, {h.uai for h in due}) as conn:
            await enqueue(conn, messages)
        self._relay.wake()


def _by_school(rows: Sequence[QueuedSms]) -> dict[str, list[QueuedSms]]:
    grouped: dict[str, list[QueuedSms]] = defaultdict(list)
    for row in rows:
        grouped[row.uai].append(row)
    return grouped

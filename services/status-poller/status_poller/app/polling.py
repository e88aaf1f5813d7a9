"""Polling the operators: take the due SMS, ask each school's operator, store and publish.

Several replicas may poll at once: rows are claimed with `FOR UPDATE SKIP LOCKED` and held by a
lease (their next look pushed forward), so each replica takes its own share, and the rows of a
replica that dies come back when the lease ends. Operators are asked outside any transaction;
the answers are applied on the rows as they are then (locked again), with the succession rule, so
a dispatcher message or a "Mettre à jour" that came meanwhile is never overwritten.

Each school is polled by its own task: a slow or failing operator holds only its own schools,
while the loop goes on claiming and polling the others (bounded by `concurrency`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import utc_now
from shared.crypto import DecryptionError, SecretBox
from shared.db.outbox import enqueue
from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.operators.accounts import SchoolAccount, load_accounts
from shared.operators.base import (
    AccountConfig,
    AdapterRegistry,
    OperatorAdapter,
    OperatorError,
    PermanentOperatorError,
    StatusReport,
    TransientOperatorError,
)
from status_poller.adapters.early_receipt_repository import EarlyReceiptRepository
from status_poller.adapters.metrics import PollerMetrics
from status_poller.adapters.tracked_sms_repository import TrackedSmsRepository
from status_poller.app.statuses import status_message
from status_poller.domain.clock import Clock
from status_poller.domain.lifecycle import TrackedSms
from status_poller.domain.polling import NOT_ASKED, PollAnswer, look
from status_poller.domain.receipts import combine_parts, fact_of
from status_poller.domain.schedule import PollPolicy, Tracking, tracking_of

log = logging.getLogger(__name__)

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass(frozen=True)
class PollerConfig:
    tick: timedelta  # pause between two claims when there is no backlog
    claim_limit: int  # rows taken per claim
    concurrency: int  # operator requests in flight at once (all schools)
    lease: timedelta  # how long claimed rows stay hidden from other pollers
    call_timeout: timedelta  # bound on one status request, whatever the adapter does
    # how long a receipt waits for its submission before it is forgotten
    early_receipt_retention: timedelta = timedelta(days=9)
    due_metric_every: timedelta = timedelta(seconds=5)


@dataclass(frozen=True)
class _Operator:
    """A school's operator, ready to be asked (None parts: it cannot be asked)."""

    tracking: Tracking
    adapter: OperatorAdapter | None = None
    account: AccountConfig | None = None
    provider_code: str | None = None
    dialect: str = "none"


class StatusPoller:
    """The polling loop of one process; see the module's docstring."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool[Any],
        box: SecretBox,
        adapters: AdapterRegistry,
        policy: PollPolicy,
        config: PollerConfig,
        metrics: PollerMetrics,
        clock: Clock = utc_now,
    ) -> None:
        self._clock = clock
        self._pool = pool
        self._box = box
        self._adapters = adapters
        self._policy = policy
        self._config = config
        self._metrics = metrics
        self._requests = asyncio.Semaphore(config.concurrency)
        self._schools: dict[str, asyncio.Task[None]] = {}
        self._due_observed_at = 0.0

    async def run(self) -> None:
        """Claim and poll until cancelled; survives database outages; cancels its school tasks."""
        try:
            while True:
                try:
                    claimed = await self.tick()
                except _DATABASE_ERRORS as exc:
                    log.warning("status poll could not claim rows", extra={"error": _name(exc)})
                    claimed = 0
                if claimed < self._config.claim_limit:
                    await asyncio.sleep(self._config.tick.total_seconds())
        finally:
            tasks = list(self._schools.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def tick(self) -> int:
        """Claim the due rows (but those of schools still being polled) and start one task per
        school; returns how many rows were claimed."""
        await self._housekeeping()
        if len(self._schools) >= self._config.concurrency:
            return 0  # as many schools in flight as request slots: let them finish first
        async with self._pool.acquire() as conn, conn.transaction():
            # The one read across schools (row-level security): the due rows of every school and
            # their schools' accounts. Each school's answers are recorded under its own scope.
            await set_all_schools_scope(conn, "status-poller: claim due SMS")
            rows = await TrackedSmsRepository(conn).claim_due(
                now=self._clock(),
                limit=self._config.claim_limit,
                lease=self._config.lease,
                busy_schools=self._schools.keys(),
            )
            if not rows:
                return 0
            accounts = await load_accounts(conn, {row.uai for row in rows})
        self._metrics.claimed(len(rows))
        by_school: dict[str, list[TrackedSms]] = {}
        for row in rows:
            by_school.setdefault(row.uai, []).append(row)
        for uai, school_rows in by_school.items():
            task = asyncio.create_task(
                self._poll_school(uai, school_rows, accounts.get(uai)),
                name=f"status-poll-{uai}",
            )
            self._schools[uai] = task
            task.add_done_callback(functools.partial(self._school_done, uai))
        return len(rows)

    def _school_done(self, uai: str, task: asyncio.Task[None]) -> None:
        if self._schools.get(uai) is task:
            del self._schools[uai]

    async def _poll_school(
        self, uai: str, rows: list[TrackedSms], account: SchoolAccount | None
    ) -> None:
        started = time.perf_counter()
        try:
            operator = self._operator(uai, account)
            answers = await self._ask(uai, operator, rows)
            await self._record(uai, rows, answers, operator.tracking)
            self._metrics.cycle(time.perf_counter() - started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The rows stay held by their lease and come back when it ends.
            log.error("status poll of a school failed", extra={"uai": uai, "error": _name(exc)})

    def _operator(self, uai: str, account: SchoolAccount | None) -> _Operator:
        if account is None or not account.has_provider or account.dialect is None:
            log.warning("no provider account to poll", extra={"uai": uai})
            return _Operator(Tracking.UNKNOWN)
        try:
            adapter = self._adapters.get(account.dialect)
            config = account.config(self._box)
        except (PermanentOperatorError, DecryptionError, ValueError) as exc:
            log.warning(
                "provider account unusable for polling",
                extra={"uai": uai, "dialect": account.dialect, "error": _name(exc)},
            )
            return _Operator(Tracking.UNKNOWN, dialect=account.dialect)
        return _Operator(
            tracking_of(adapter.capabilities),
            adapter,
            config,
            account.provider_code,
            account.dialect,
        )

    async def _ask(
        self, uai: str, operator: _Operator, rows: Sequence[TrackedSms]
    ) -> dict[UUID, PollAnswer]:
        adapter, account = operator.adapter, operator.account
        if operator.tracking is not Tracking.POLL or adapter is None or account is None:
            return {}
        # An SMS sent through the school's former operator cannot be asked of its new one.
        pollable = [
            row
            for row in rows
            if row.provider_message_id and row.provider_code == operator.provider_code
        ]
        size = max(1, adapter.capabilities.max_status_batch)
        answers: dict[UUID, PollAnswer] = {}
        for start in range(0, len(pollable), size):
            batch = pollable[start : start + size]
            answers.update(await self._ask_batch(uai, operator, adapter, account, batch))
        return answers

    async def _ask_batch(
        self,
        uai: str,
        operator: _Operator,
        adapter: OperatorAdapter,
        account: AccountConfig,
        batch: Sequence[TrackedSms],
    ) -> dict[UUID, PollAnswer]:
        ids = sorted({row.provider_message_id for row in batch if row.provider_message_id})
        failed: PollAnswer | None = None
        reports: list[StatusReport] = []
        async with self._requests:
            started = time.perf_counter()
            try:
                reports = await asyncio.wait_for(
                    adapter.fetch_statuses(account, ids), self._config.call_timeout.total_seconds()
                )
                outcome = "ok"
            except TransientOperatorError as exc:
                outcome = "transient"
                failed = PollAnswer(
                    asked=True, transient_failure=True, retry_after_s=exc.retry_after_s
                )
            except PermanentOperatorError as exc:
                # Someone must act (credentials, credit): ask again at the normal rhythm.
                outcome = "permanent"
                failed = PollAnswer(asked=True)
                log.warning(
                    "operator refused a status request",
                    extra={"uai": uai, "dialect": operator.dialect, "reason": exc.reason_code},
                )
            except (TimeoutError, OperatorError) as exc:
                outcome = "transient"
                failed = PollAnswer(asked=True, transient_failure=True)
                log.info(
                    "status request failed, will retry",
                    extra={"uai": uai, "dialect": operator.dialect, "error": _name(exc)},
                )
            except Exception as exc:
                # An adapter bug must not lose rows: back off as for a passing failure.
                outcome = "error"
                failed = PollAnswer(asked=True, transient_failure=True)
                log.error(
                    "status request raised unexpectedly",
                    extra={"uai": uai, "dialect": operator.dialect, "error": _name(exc)},
                )
            finally:
                self._metrics.polled(
                    operator.dialect, outcome, len(ids), time.perf_counter() - started
                )
        if failed is not None:
            return {row.sms_id: failed for row in batch}
        now = self._clock()
        by_id = {report.provider_message_id: report for report in combine_parts(reports)}
        answers: dict[UUID, PollAnswer] = {}
        for row in batch:
            report = by_id.get(row.provider_message_id or "")
            answers[row.sms_id] = PollAnswer(
                asked=True, report=fact_of(report, now) if report is not None else None
            )
        return answers

    async def _record(
        self,
        uai: str,
        claimed: Sequence[TrackedSms],
        answers: dict[UUID, PollAnswer],
        tracking: Tracking,
    ) -> None:
        """Apply the answers to the rows as they are now, store them, publish the changes."""
        now = self._clock()
        async with tenant_transaction(self._pool, {uai}) as conn:
            repo = TrackedSmsRepository(conn)
            current = await repo.lock((uai, row.sms_id) for row in claimed)
            stored: list[TrackedSms] = []
            changes: list[TrackedSms] = []
            for held in claimed:
                sms = current.get(held.sms_id)
                if sms is None:
                    continue
                result = look(
                    sms,
                    answers.get(sms.sms_id, NOT_ASKED),
                    now=now,
                    policy=self._policy,
                    tracking=tracking,
                )
                stored.append(_keep_earlier_request(result.sms, sms, held))
                changes.extend(result.changes)
            await repo.update(stored)
            await enqueue(conn, [status_message(change, now) for change in changes])
        self._metrics.changed(changes)

    async def _housekeeping(self) -> None:
        """Every few seconds: the overview metrics, and the purge of receipts whose submission
        never came (both across schools)."""
        moment = time.monotonic()
        if moment - self._due_observed_at < self._config.due_metric_every.total_seconds():
            return
        self._due_observed_at = moment
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "status-poller: overview metrics, receipts purge")
            overview = await TrackedSmsRepository(conn).overview(now)
            await EarlyReceiptRepository(conn).purge(now - self._config.early_receipt_retention)
        self._metrics.overview(overview.due, overview.waiting, overview.oldest_submitted_at, now)


def _keep_earlier_request(new: TrackedSms, current: TrackedSms, held: TrackedSms) -> TrackedSms:
    """When someone moved the next look while we polled ("Mettre à jour" during the request),
    its earlier time wins over the one we computed."""
    moved = current.next_poll_at
    if new.next_poll_at is None or moved is None or moved == held.next_poll_at:
        return new
    return replace(new, next_poll_at=min(new.next_poll_at, moved))


def _name(exc: BaseException) -> str:
    # Type names only: exception texts may quote data that must not reach the logs.
    return type(exc).__name__

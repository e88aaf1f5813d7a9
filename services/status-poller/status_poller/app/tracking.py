"""Use cases driven by the dispatcher's messages and by "Mettre à jour".

Each runs inside the consumer's transaction: it locks the rows it changes, applies the succession
rule, stores the result and writes the resulting sms.status.v1 messages to the outbox, so that a
change is published exactly when it is stored, and a replay changes (and publishes) nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from shared.contracts import SmsRefreshV1, SmsRejectedV1, SmsResolveV1, SmsSubmittedV1, utc_now
from shared.db.outbox import enqueue
from shared.db.types import Connection
from shared.kafka.errors import TransientError
from shared.operators.accounts import SchoolAccount, load_accounts
from shared.operators.base import AdapterRegistry, Capabilities, OperatorError
from shared.states import SmsState
from status_poller.adapters.early_receipt_repository import EarlyReceiptRepository
from status_poller.adapters.metrics import PollerMetrics
from status_poller.adapters.refresh_limit_repository import RefreshLimitRepository
from status_poller.adapters.tracked_sms_repository import TrackedSmsRepository
from status_poller.app.statuses import status_message
from status_poller.domain.clock import Clock
from status_poller.domain.lifecycle import Fact, TrackedSms, apply_fact, merge, without_status
from status_poller.domain.polling import PollAnswer, look
from status_poller.domain.schedule import PollPolicy, Tracking, next_look, tracking_of

#: reason_code of "envoyé, sans accusé" when staff kept an SMS "à vérifier" as sent.
KEPT_AS_SENT = "kept_as_sent"


class SmsTrackedElsewhereError(ValueError):
    """An SMS id already tracked under another school: the message can never be applied."""

    safe_summary = "this SMS id is already tracked for another school"


@dataclass(frozen=True)
class _Outcome:
    rows: dict[UUID, TrackedSms]  # final rows, by id
    changes: list[TrackedSms]  # snapshots to publish, in order
    created: set[UUID]  # ids that were not tracked before


class Tracker:
    """Follows what the dispatcher says of each SMS; see the module's docstring."""

    def __init__(
        self,
        *,
        adapters: AdapterRegistry,
        policy: PollPolicy,
        metrics: PollerMetrics,
        refresh_interval: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._adapters = adapters
        self._policy = policy
        self._metrics = metrics
        self._refresh_interval = refresh_interval
        self._clock = clock

    async def track_submissions(self, conn: Connection, messages: Sequence[SmsSubmittedV1]) -> None:
        """Start following submitted SMS (en transit, or à vérifier) and publish their state."""
        await self._apply(conn, [self._submitted(m) for m in messages])

    async def record_rejections(self, conn: Connection, messages: Sequence[SmsRejectedV1]) -> None:
        """Record SMS that will never be sent (invalidé, échec d'envoi) and publish that."""
        await self._apply(conn, [_rejected(m) for m in messages])

    async def refresh(self, conn: Connection, messages: Sequence[SmsRefreshV1]) -> None:
        """ "Mettre à jour": make the listed SMS (or all followed SMS of the school) due now.

        At most one refresh per school and per `refresh_interval` reaches its operator: the
        requests that come sooner take effect together when the interval ends.
        """
        if not messages:
            return
        at = await RefreshLimitRepository(conn).reserve(
            {m.uai for m in messages}, self._clock(), self._refresh_interval
        )
        await TrackedSmsRepository(conn).make_due(
            [(m.uai, sms_id, at[m.uai]) for m in messages for sms_id in m.sms_ids],
            [(m.uai, at[m.uai]) for m in messages if not m.sms_ids],
        )

    async def resolve(self, conn: Connection, messages: Sequence[SmsResolveV1]) -> None:
        """Staff kept an SMS "à vérifier" as sent: it ends "envoyé, sans accusé" (our verdict on
        their word, so that an operator's later final answer still replaces it). A resend needs
        nothing here: the dispatcher's new submission moves the SMS on.

        The decision follows the SMS's "à vérifier" submission on another topic; should it come
        first, the message is retried until the submission is tracked.
        """
        kept = [m for m in messages if m.decision == "keep_as_sent"]
        if not kept:
            return
        now = self._clock()
        repo = TrackedSmsRepository(conn)
        rows = await repo.lock((m.uai, m.sms_id) for m in kept)
        missing = [m for m in kept if m.sms_id not in rows]
        if missing:
            raise TransientError(f"{len(missing)} decision(s) ahead of their submission")
        tracking = await self._tracking(conn, {m.uai for m in kept})
        changes: list[TrackedSms] = []
        for m in kept:
            row = rows[m.sms_id]
            if row.uai != m.uai or row.state is not SmsState.UNCONFIRMED:
                continue  # another school's id, or already moved on (resent, answered)
            fact = Fact(
                SmsState.SENT_UNCONFIRMED,
                m.decided_at,
                own_verdict=True,
                reason_code=KEPT_AS_SENT,
            )
            changed = apply_fact(row, fact)
            if changed is None:
                continue
            school = tracking.get(m.uai, Tracking.UNKNOWN)
            changed = replace(changed, next_poll_at=next_look(changed, now, self._policy, school))
            rows[m.sms_id] = changed
            changes.append(changed)
        await repo.update(changes)
        await enqueue(conn, [status_message(c, now) for c in changes])
        self._metrics.changed(changes)

    def _submitted(self, m: SmsSubmittedV1) -> TrackedSms:
        return TrackedSms(
            sms_id=m.sms_id,
            uai=m.uai,
            absence_id=m.absence_id,
            action_code=m.action_code,
            recipient_role=m.recipient_role,
            state=SmsState(m.state),
            changed_at=m.submitted_at,
            provider_code=m.provider_code,
            provider_message_id=m.provider_message_id,
            correlation_id=m.correlation_id,
            submitted_at=m.submitted_at,
            expires_at=m.submitted_at + self._policy.validity,
        )

    async def _apply(self, conn: Connection, candidates: list[TrackedSms]) -> None:
        if not candidates:
            return
        now = self._clock()
        repo = TrackedSmsRepository(conn)
        receipts = EarlyReceiptRepository(conn)
        await receipts.serialize_with_submissions({c.uai for c in candidates})
        tracking = await self._tracking(conn, {c.uai for c in candidates})
        keys = [(c.uai, c.sms_id) for c in candidates]
        outcome = self._plan(await repo.lock(keys), candidates, now, tracking)
        created = [outcome.rows[i] for i in outcome.created]
        inserted = await repo.insert_new(created)
        lost = outcome.created - inserted
        if lost:
            # Another transaction (a replica reading the other topic) created these rows since we
            # looked: plan them again on what it stored.
            again = [c for c in candidates if c.sms_id in lost]
            existing = await repo.lock((c.uai, c.sms_id) for c in again)
            if lost - existing.keys():
                raise SmsTrackedElsewhereError("sms id conflict")
            retried = self._plan(existing, again, now, tracking)
            outcome.rows.update(retried.rows)
            outcome.changes[:] = [c for c in outcome.changes if c.sms_id not in lost]
            outcome.changes.extend(retried.changes)
        with_receipts = await self._apply_early_receipts(
            receipts, outcome, {c.sms_id for c in candidates}, now, tracking
        )
        changed_ids = {c.sms_id for c in outcome.changes}
        await repo.update([outcome.rows[i] for i in (changed_ids - inserted) | with_receipts])
        await enqueue(conn, [status_message(c, now) for c in outcome.changes])
        self._metrics.changed(outcome.changes)

    def _plan(
        self,
        current: Mapping[UUID, TrackedSms],
        candidates: Iterable[TrackedSms],
        now: datetime,
        tracking: Mapping[str, Tracking],
    ) -> _Outcome:
        rows = dict(current)
        changes: list[TrackedSms] = []
        created: set[UUID] = set()
        for candidate in candidates:
            merged = merge(rows.get(candidate.sms_id), candidate)
            if merged is None:
                continue
            if candidate.sms_id not in rows:
                created.add(candidate.sms_id)
            changes.append(merged)
            school = tracking.get(candidate.uai, Tracking.UNKNOWN)
            if school is Tracking.NOTHING:
                fact = without_status(merged, now)
                verdict = apply_fact(merged, fact) if fact is not None else None
                if verdict is not None:
                    merged = verdict
                    changes.append(merged)
            merged = replace(merged, next_poll_at=next_look(merged, now, self._policy, school))
            rows[candidate.sms_id] = merged
        return _Outcome(rows, changes, created)

    async def _apply_early_receipts(
        self,
        receipts: EarlyReceiptRepository,
        outcome: _Outcome,
        ids: set[UUID],
        now: datetime,
        tracking: Mapping[str, Tracking],
    ) -> set[UUID]:
        """Apply the receipts that came before these SMS's submission; returns the ids changed."""
        by_key = {
            (row.uai, row.provider_code, row.provider_message_id): row.sms_id
            for row in (outcome.rows[i] for i in ids if i in outcome.rows)
            if row.provider_code and row.provider_message_id
        }
        changed: set[UUID] = set()
        for receipt in await receipts.take(by_key):
            sms_id = by_key[(receipt.uai, receipt.provider_code, receipt.provider_message_id)]
            fact = Fact(
                receipt.state,
                receipt.changed_at,
                operator_code=receipt.operator_code,
                provider_message_id=receipt.provider_message_id,
            )
            result = look(
                outcome.rows[sms_id],
                PollAnswer(report=fact),
                now=now,
                policy=self._policy,
                tracking=tracking.get(receipt.uai, Tracking.UNKNOWN),
            )
            outcome.rows[sms_id] = result.sms
            if result.changes:
                outcome.changes.extend(result.changes)
                changed.add(sms_id)
        return changed

    async def _tracking(self, conn: Connection, uais: set[str]) -> dict[str, Tracking]:
        """What each school's operator lets us learn (unknown until its settings arrive)."""
        accounts = await load_accounts(conn, uais)
        return {uai: tracking_of(self._capabilities(account)) for uai, account in accounts.items()}

    def _capabilities(self, account: SchoolAccount) -> Capabilities | None:
        if not account.has_provider or account.dialect is None:
            return None
        try:
            return self._adapters.get(account.dialect).capabilities
        except OperatorError:
            return None


def _rejected(m: SmsRejectedV1) -> TrackedSms:
    return TrackedSms(
        sms_id=m.sms_id,
        uai=m.uai,
        absence_id=m.absence_id,
        action_code=m.action_code,
        recipient_role=m.recipient_role,
        state=SmsState(m.state),
        changed_at=m.rejected_at,
        reason_code=m.reason_code,
        correlation_id=m.correlation_id,
    )

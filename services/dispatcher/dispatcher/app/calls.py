"""Calls to an operator for one school's batch, and what their answers mean for each SMS.

Before any call the SMS are "sending" (recorded at the claim); what comes back decides, per SMS:
accepted, refused, put back in the queue (transient failure, jittered backoff, Retry-After), or
reconciled by client reference when the outcome is unknown, once the unanswered request can no
longer be in flight (never resent blindly).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dispatcher.adapters.metrics import SenderMetrics
from dispatcher.adapters.queue import QueuedSms
from dispatcher.app.health import SchoolHealth
from dispatcher.app.outcomes import Outcome, unconfirmed
from dispatcher.domain.retry import retry_delay
from shared.crypto import SecretBox
from shared.operators.accounts import SchoolAccount
from shared.operators.base import (
    OperatorAdapter,
    OutcomeUnknownError,
    OutgoingSms,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.states import SmsState

# Lookups by client reference run this many at a time per school (one request per SMS).
LOOKUP_CONCURRENCY = 20
_UNKNOWN, _UNSAYABLE = object(), object()


@dataclass(frozen=True)
class RetryPolicy:
    max_queue_age_s: float
    retry_base_s: float
    retry_max_s: float


class OperatorCalls:
    def __init__(self, box: SecretBox, policy: RetryPolicy, metrics: SenderMetrics) -> None:
        self._box = box
        self._policy = policy
        self._metrics = metrics

    async def send(
        self,
        adapter: OperatorAdapter,
        account: SchoolAccount,
        rows: Sequence[QueuedSms],
        health: SchoolHealth,
    ) -> Outcome:
        """Send one batch (at most the operator's `max_batch`) and say what became of each SMS."""
        outcome = Outcome()
        config = account.config(self._box)
        provider = account.provider_code or ""
        outgoing = [
            OutgoingSms(str(s.sms_id), s.recipient_phone, s.text, config.sender_name) for s in rows
        ]
        loop = asyncio.get_running_loop()
        started = loop.time()
        changed = False
        try:
            results = await adapter.send_batch(config, outgoing)
        except TransientOperatorError as exc:
            self._metrics.request(adapter.dialect, "transient", loop.time() - started)
            self.retry_or_fail(outcome, rows, exc.retry_after_s, str(exc), provider)
            health.last_error_code = "operator_unreachable"
            changed = health.circuit.failed(loop.time())
        except PermanentOperatorError as exc:
            self._metrics.request(adapter.dialect, "refused", loop.time() - started)
            outcome.rejected += [(sms, exc.reason_code, None) for sms in rows]
            changed = health.circuit.succeeded() or health.last_error_code != exc.reason_code
            health.last_error_code = exc.reason_code
        except OutcomeUnknownError:
            self._metrics.request(adapter.dialect, "unknown", loop.time() - started)
            health.last_error_code = "operator_unreachable"
            changed = health.circuit.failed(loop.time())
            # Not reconciled now: the operator may still be processing the request it did not
            # answer, and a lookup now could say "never received" just before it accepts. The
            # SMS stay "sending"; the recovery round reconciles them by client reference once
            # `sending_timeout_s` (at least twice the call timeout) has passed.
        else:
            self._metrics.request(adapter.dialect, "answered", loop.time() - started)
            changed = health.circuit.succeeded() or health.last_error_code is not None
            health.last_error_code = None
            by_ref = {r.client_reference: r for r in results}
            for sms in rows:
                result = by_ref.get(str(sms.sms_id))
                if result is None:  # the operator skipped it: it is not sent, try again
                    self.retry_or_fail(
                        outcome, [sms], None, "missing from the operator's answer", provider
                    )
                elif result.state is SmsState.IN_TRANSIT:
                    outcome.submitted.append((sms, result, provider))
                else:
                    outcome.rejected.append(
                        (sms, result.reason_code or "operator_refused", result.operator_code)
                    )
        if changed:
            health.published = None  # told with the results, in the same transaction
        return outcome

    async def reconcile(
        self,
        adapter: OperatorAdapter,
        account: SchoolAccount,
        rows: Sequence[QueuedSms],
        outcome: Outcome,
    ) -> None:
        """After an unknown outcome: ask the operator by client reference, never resend blindly.

        Found: it was sent. Not found: it never arrived, so sending again is safe. An operator
        without lookup leaves the SMS "à vérifier" for staff to decide. An SMS whose outcome stays
        unknown past the queue's age limit is left "à vérifier" too.
        """
        provider = account.provider_code or ""
        if not adapter.capabilities.supports_client_reference_lookup:
            outcome.submitted += [(sms, unconfirmed(sms), provider) for sms in rows]
            return
        config = account.config(self._box)
        too_old = datetime.now(UTC) - timedelta(seconds=self._policy.max_queue_age_s)
        limit = asyncio.Semaphore(LOOKUP_CONCURRENCY)
        unreachable = False

        async def look(sms: QueuedSms) -> None:
            nonlocal unreachable
            async with limit:
                if unreachable:
                    found: Any = _UNKNOWN
                else:
                    try:
                        found = await adapter.lookup(config, str(sms.sms_id))
                    except (TransientOperatorError, OutcomeUnknownError):
                        # The operator is not answering: stop asking; the recovery round will.
                        unreachable, found = True, _UNKNOWN
                    except PermanentOperatorError:
                        found = _UNSAYABLE  # e.g. credentials changed since: staff decide
            if found is _UNKNOWN:
                # Still unknown: stays "sending", asked again later, or "à vérifier" once too old.
                if sms.queued_at < too_old:
                    outcome.submitted.append((sms, unconfirmed(sms), provider))
            elif found is _UNSAYABLE:
                outcome.submitted.append((sms, unconfirmed(sms), provider))
            elif found is None:
                outcome.requeued.append((sms, 0.0, "not received by the operator, resending"))
            else:
                outcome.submitted.append((sms, found, provider))

        await asyncio.gather(*(look(sms) for sms in rows))

    def retry_or_fail(
        self,
        outcome: Outcome,
        rows: Sequence[QueuedSms],
        retry_after_s: float | None,
        error: str,
        provider: str,
    ) -> None:
        """Back in the queue after a backoff, or failed once the SMS is too old to be useful."""
        now = datetime.now(UTC)
        requeued = 0
        for sms in rows:
            if now - sms.queued_at > timedelta(seconds=self._policy.max_queue_age_s):
                outcome.rejected.append((sms, "operator_unreachable", None))
                continue
            delay = retry_delay(
                sms.attempts,
                base_s=self._policy.retry_base_s,
                max_s=self._policy.retry_max_s,
                retry_after_s=retry_after_s,
            )
            outcome.requeued.append((sms, delay, error[:200]))
            requeued += 1
        self._metrics.retried(provider, requeued)

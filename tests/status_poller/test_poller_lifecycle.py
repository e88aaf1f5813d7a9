"""What facts do to a tracked SMS: the succession rule, our own verdicts, one look (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from shared.states import SmsState
from status_poller.app.statuses import status_message
from status_poller.domain.lifecycle import (
    EXPIRED,
    NO_STATUS_SERVICE,
    Fact,
    TrackedSms,
    apply_fact,
    merge,
)
from status_poller.domain.polling import NOT_ASKED, PollAnswer, look
from status_poller.domain.schedule import PollPolicy, Tracking

T0 = datetime(2024, 9, 13, 7, 42, tzinfo=UTC)
POLICY = PollPolicy(
    interval=timedelta(minutes=5),
    backoff_after=timedelta(hours=2),
    max_interval=timedelta(hours=1),
    validity=timedelta(hours=48),
    retry_after_failure=timedelta(minutes=1),
    late_interval=timedelta(hours=6),
    late_window=timedelta(days=7),
)
EXPIRES = T0 + POLICY.validity


def sms(**changes: object) -> TrackedSms:
    values: dict[str, object] = {
        "sms_id": uuid4(),
        "uai": "0750001A",
        "absence_id": uuid4(),
        "action_code": "SMS1",
        "recipient_role": "Légal 1",
        "state": SmsState.IN_TRANSIT,
        "changed_at": T0,
        "provider_code": "op",
        "provider_message_id": "OP-1",
        "submitted_at": T0,
        "expires_at": EXPIRES,
    }
    values.update(changes)
    return TrackedSms(**values)  # type: ignore[arg-type]


def reported(state: SmsState, at: datetime = T0) -> PollAnswer:
    return PollAnswer(asked=True, report=Fact(state, at, operator_code=f"OP_{state.value}"))


def test_a_first_dispatcher_message_starts_tracking() -> None:
    candidate = sms()
    assert merge(None, candidate) == candidate


def test_a_replayed_submission_changes_nothing() -> None:
    tracked = sms(state=SmsState.DELIVERED)
    assert merge(tracked, sms(sms_id=tracked.sms_id)) is None
    assert merge(sms(), sms()) is None


def test_a_submission_arriving_after_the_rejection_changes_nothing() -> None:
    rejected = sms(state=SmsState.FAILED, reason_code="bad_credentials", provider_message_id=None)
    assert merge(rejected, sms(state=SmsState.UNCONFIRMED, provider_message_id=None)) is None


def test_an_accepted_resend_replaces_a_to_check_sms_with_its_new_submission() -> None:
    unconfirmed = sms(state=SmsState.UNCONFIRMED, provider_message_id=None, expires_at=EXPIRES)
    later = T0 + timedelta(hours=3)
    resent = merge(
        unconfirmed,
        sms(
            provider_message_id="OP-2",
            submitted_at=later,
            changed_at=later,
            expires_at=later + POLICY.validity,
        ),
    )
    assert resent is not None
    assert (resent.state, resent.provider_message_id) == (SmsState.IN_TRANSIT, "OP-2")
    assert resent.expires_at == later + POLICY.validity


def test_an_operator_report_moves_the_sms_forward_once() -> None:
    result = look(
        sms(), reported(SmsState.CARRIER_ACCEPTED), now=T0, policy=POLICY, tracking=Tracking.POLL
    )
    assert [c.state for c in result.changes] == [SmsState.CARRIER_ACCEPTED]
    again = look(
        result.sms,
        reported(SmsState.CARRIER_ACCEPTED),
        now=T0,
        policy=POLICY,
        tracking=Tracking.POLL,
    )
    assert again.changes == ()
    assert again.sms.polls == 2


def test_a_stale_report_never_moves_the_sms_back() -> None:
    delivered = sms(state=SmsState.CARRIER_ACCEPTED)
    result = look(
        delivered, reported(SmsState.IN_TRANSIT), now=T0, policy=POLICY, tracking=Tracking.POLL
    )
    assert result.changes == ()
    assert result.sms.state is SmsState.CARRIER_ACCEPTED


def test_delivered_ends_the_polling() -> None:
    result = look(
        sms(), reported(SmsState.DELIVERED), now=T0, policy=POLICY, tracking=Tracking.POLL
    )
    assert result.sms.state is SmsState.DELIVERED and not result.sms.own_verdict
    assert result.sms.next_poll_at is None


def test_a_transient_failure_counts_and_backs_off_without_changing_the_state() -> None:
    now = T0 + timedelta(minutes=5)
    failure = PollAnswer(asked=True, transient_failure=True)
    first = look(sms(), failure, now=now, policy=POLICY, tracking=Tracking.POLL)
    second = look(first.sms, failure, now=now, policy=POLICY, tracking=Tracking.POLL)
    assert first.changes == second.changes == ()
    assert (first.sms.poll_failures, second.sms.poll_failures) == (1, 2)
    assert second.sms.next_poll_at == now + timedelta(minutes=2)


def test_a_permanent_failure_keeps_the_normal_rhythm() -> None:
    now = T0 + timedelta(minutes=5)
    result = look(
        sms(poll_failures=4), PollAnswer(asked=True), now=now, policy=POLICY, tracking=Tracking.POLL
    )
    assert result.sms.poll_failures == 0
    assert result.sms.next_poll_at == now + POLICY.interval


def test_without_a_final_answer_by_expiry_the_sms_is_undelivered_expired_by_our_verdict() -> None:
    result = look(
        sms(), reported(SmsState.IN_TRANSIT), now=EXPIRES, policy=POLICY, tracking=Tracking.POLL
    )
    [change] = result.changes
    assert (change.state, change.own_verdict, change.reason_code) == (
        SmsState.UNDELIVERED,
        True,
        EXPIRED,
    )
    assert result.sms.next_poll_at == EXPIRES + POLICY.late_interval


def test_an_answer_and_the_expiry_in_one_look_are_two_changes_in_order() -> None:
    result = look(
        sms(),
        reported(SmsState.CARRIER_ACCEPTED),
        now=EXPIRES,
        policy=POLICY,
        tracking=Tracking.POLL,
    )
    assert [(c.state, c.own_verdict) for c in result.changes] == [
        (SmsState.CARRIER_ACCEPTED, False),
        (SmsState.UNDELIVERED, True),
    ]


def test_a_final_answer_at_expiry_wins_over_our_verdict() -> None:
    result = look(
        sms(), reported(SmsState.DELIVERED), now=EXPIRES, policy=POLICY, tracking=Tracking.POLL
    )
    assert [c.state for c in result.changes] == [SmsState.DELIVERED]


def test_a_late_final_answer_replaces_our_expiry() -> None:
    expired = look(sms(), NOT_ASKED, now=EXPIRES, policy=POLICY, tracking=Tracking.POLL).sms
    late = look(
        expired,
        reported(SmsState.DELIVERED),
        now=EXPIRES + timedelta(hours=6),
        policy=POLICY,
        tracking=Tracking.POLL,
    )
    [change] = late.changes
    assert (change.state, change.own_verdict, change.reason_code) == (
        SmsState.DELIVERED,
        False,
        None,
    )
    assert late.sms.next_poll_at is None


def test_the_operators_own_undelivered_replaces_our_expiry_verdict() -> None:
    expired = look(sms(), NOT_ASKED, now=EXPIRES, policy=POLICY, tracking=Tracking.POLL).sms
    late = look(
        expired, reported(SmsState.UNDELIVERED), now=EXPIRES, policy=POLICY, tracking=Tracking.POLL
    )
    [change] = late.changes
    assert (change.state, change.own_verdict, change.operator_code) == (
        SmsState.UNDELIVERED,
        False,
        "OP_undelivered",
    )


def test_an_operator_that_reports_nothing_ends_the_sms_sent_without_receipt_at_once() -> None:
    result = look(sms(), NOT_ASKED, now=T0, policy=POLICY, tracking=Tracking.NOTHING)
    [change] = result.changes
    assert (change.state, change.own_verdict, change.reason_code) == (
        SmsState.SENT_UNCONFIRMED,
        True,
        NO_STATUS_SERVICE,
    )
    assert result.sms.next_poll_at is None


def test_applying_a_fact_twice_is_a_no_op() -> None:
    fact = Fact(SmsState.DELIVERED, T0, operator_code="DELIVRD")
    once = apply_fact(sms(), fact)
    assert once is not None
    assert apply_fact(once, fact) is None


def test_the_status_message_holds_references_and_label_but_no_number_or_name() -> None:
    tracked = sms(state=SmsState.DELIVERED, operator_code="DELIVRD")
    observed = tracked.changed_at + timedelta(minutes=2)
    message = status_message(tracked, observed)
    assert (message.state, message.label_fr) == (SmsState.DELIVERED, "délivré")
    assert (message.changed_at, message.observed_at) == (tracked.changed_at, observed)
    assert (message.absence_id, message.action_code, message.recipient_role) == (
        tracked.absence_id,
        "SMS1",
        "Légal 1",
    )
    payload = json.loads(message.model_dump_json(by_alias=True))
    assert not {"recipient_phone", "pupil_name", "text"} & payload.keys()
    # The same change computed twice is the same message: consumers' inboxes drop the copy.
    assert status_message(tracked, observed + timedelta(1)).message_id == message.message_id
    assert status_message(sms(sms_id=tracked.sms_id), observed).message_id != message.message_id

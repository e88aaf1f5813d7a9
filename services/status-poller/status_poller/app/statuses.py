"""The sms.status.v1 message of one state change."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from shared.contracts import SmsStatusV1
from status_poller.domain.lifecycle import TrackedSms

PRODUCER = "status-poller"

# Each (SMS, state, own verdict) is entered at most once (shared.states.may_replace), so a
# message id derived from it makes a change that somehow got computed twice (two replicas racing,
# a replay) the same message, which every consumer's inbox then drops.
_STATUS_NAMESPACE = UUID("6f1d2c3b-8a4e-4f5d-9b7c-0e1a2b3c4d5e")


def status_message(sms: TrackedSms, observed_at: datetime) -> SmsStatusV1:
    """What the other services learn of this state: references, state, label; no number, no name.
    `observed_at` is when we learnt it."""
    return SmsStatusV1(
        message_id=uuid5(_STATUS_NAMESPACE, f"{sms.sms_id}:{sms.state.value}:{sms.own_verdict}"),
        producer=PRODUCER,
        correlation_id=sms.correlation_id,
        uai=sms.uai,
        sms_id=sms.sms_id,
        absence_id=sms.absence_id,
        action_code=sms.action_code,
        recipient_role=sms.recipient_role,
        state=sms.state,
        label_fr=sms.state.label_fr,
        reason_code=sms.reason_code,
        operator_code=sms.operator_code,
        provider_message_id=sms.provider_message_id,
        changed_at=sms.changed_at,
        own_verdict=sms.own_verdict,
        observed_at=observed_at,
    )

"""The four messages reporting reads, as facts about one SMS (see `tracking.merge`)."""

from __future__ import annotations

from reporting.domain.tracking import Diffusion, Fact, StateReport
from shared.contracts import SmsRejectedV1, SmsRequestedV1, SmsStatusV1, SmsSubmittedV1
from shared.states import SmsState


def requested_fact(message: SmsRequestedV1) -> Fact:
    """Diffuser was pressed: the SMS waits to be sent ("en attente d'envoi")."""
    return Fact(
        sms_id=message.sms_id,
        uai=message.uai,
        report=StateReport(SmsState.QUEUED, own_verdict=False, at=message.diffused_at),
        absence_id=message.absence_id,
        action_code=message.action_code,
        recipient_role=message.recipient_role,
        diffusion=Diffusion(
            action_label=message.action_label,
            pupil_name=message.pupil_name,
            division=message.division,
            event_label=message.event_label,
            diffused_at=message.diffused_at,
            time_zone=message.time_zone,
            school_year_start_month=message.school_year_start_month,
        ),
    )


def submitted_fact(message: SmsSubmittedV1) -> Fact:
    """The operator took the SMS (`in_transit`), or nobody knows (`unconfirmed`)."""
    return Fact(
        sms_id=message.sms_id,
        uai=message.uai,
        report=StateReport(SmsState(message.state), own_verdict=False, at=message.submitted_at),
        absence_id=message.absence_id,
        action_code=message.action_code,
        recipient_role=message.recipient_role,
        provider_code=message.provider_code,
        provider_message_id=message.provider_message_id,
    )


def rejected_fact(message: SmsRejectedV1) -> Fact:
    """The SMS will not be sent; the French message says why."""
    return Fact(
        sms_id=message.sms_id,
        uai=message.uai,
        report=StateReport(
            SmsState(message.state),
            own_verdict=False,
            at=message.rejected_at,
            reason_code=message.reason_code,
            reason_message=message.message_fr,
        ),
        absence_id=message.absence_id,
        action_code=message.action_code,
        recipient_role=message.recipient_role,
    )


def status_fact(message: SmsStatusV1) -> Fact:
    """A delivery state reported by the status-poller (the operator's, or our own verdict)."""
    return Fact(
        sms_id=message.sms_id,
        uai=message.uai,
        report=StateReport(
            message.state,
            own_verdict=message.own_verdict,
            at=message.changed_at,
            reason_code=message.reason_code,
            operator_code=message.operator_code,
        ),
        absence_id=message.absence_id,
        action_code=message.action_code,
        recipient_role=message.recipient_role,
        provider_message_id=message.provider_message_id,
    )

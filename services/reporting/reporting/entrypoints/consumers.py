"""The Kafka handlers of the reporting consumer group: each turns its messages into facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reporting.app.read_model import record_facts
from reporting.domain.facts import rejected_fact, requested_fact, status_fact, submitted_fact
from shared.contracts import SmsRejectedV1, SmsRequestedV1, SmsStatusV1, SmsSubmittedV1
from shared.contracts.topics import SMS_REJECTED, SMS_REQUESTED, SMS_STATUS, SMS_SUBMITTED
from shared.db.types import Connection
from shared.kafka.consumer import BatchHandler
from shared.runtime import Resources


async def on_sms_requested(conn: Connection, messages: Sequence[SmsRequestedV1]) -> None:
    await record_facts(conn, [requested_fact(m) for m in messages])


async def on_sms_submitted(conn: Connection, messages: Sequence[SmsSubmittedV1]) -> None:
    await record_facts(conn, [submitted_fact(m) for m in messages])


async def on_sms_rejected(conn: Connection, messages: Sequence[SmsRejectedV1]) -> None:
    await record_facts(conn, [rejected_fact(m) for m in messages])


async def on_sms_status(conn: Connection, messages: Sequence[SmsStatusV1]) -> None:
    await record_facts(conn, [status_fact(m) for m in messages])


#: The topics the read model is built from, and their handlers (the rebuild replays them).
HANDLERS: Mapping[str, BatchHandler] = {
    SMS_REQUESTED: on_sms_requested,
    SMS_SUBMITTED: on_sms_submitted,
    SMS_REJECTED: on_sms_rejected,
    SMS_STATUS: on_sms_status,
}


def reporting_handlers(_resources: Resources) -> Mapping[str, BatchHandler]:
    return HANDLERS

"""Kafka handlers of the status-poller: parse (done by the consumer), call one use case, return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.contracts import (
    SchoolSettingsV1,
    SmsRefreshV1,
    SmsRejectedV1,
    SmsResolveV1,
    SmsSubmittedV1,
)
from shared.contracts.topics import (
    SCHOOL_SETTINGS,
    SMS_REFRESH,
    SMS_REJECTED,
    SMS_RESOLVE,
    SMS_SUBMITTED,
)
from shared.db.types import Connection
from shared.kafka.consumer import BatchHandler
from shared.operators.accounts import apply_school_settings
from status_poller.app.tracking import Tracker


def handlers(tracker: Tracker) -> Mapping[str, BatchHandler]:
    async def on_school_settings(conn: Connection, messages: Sequence[SchoolSettingsV1]) -> None:
        await apply_school_settings(conn, messages)

    async def on_sms_submitted(conn: Connection, messages: Sequence[SmsSubmittedV1]) -> None:
        await tracker.track_submissions(conn, messages)

    async def on_sms_rejected(conn: Connection, messages: Sequence[SmsRejectedV1]) -> None:
        await tracker.record_rejections(conn, messages)

    async def on_sms_refresh(conn: Connection, messages: Sequence[SmsRefreshV1]) -> None:
        await tracker.refresh(conn, messages)

    async def on_sms_resolve(conn: Connection, messages: Sequence[SmsResolveV1]) -> None:
        await tracker.resolve(conn, messages)

    return {
        SMS_RESOLVE: on_sms_resolve,
        SCHOOL_SETTINGS: on_school_settings,
        SMS_SUBMITTED: on_sms_submitted,
        SMS_REJECTED: on_sms_rejected,
        SMS_REFRESH: on_sms_refresh,
    }

"""Kafka handlers of the dispatcher: school settings, SMS requests and staff's decisions on SMS
"à vérifier" land in its own tables (the sender works from there)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping, Sequence

from prometheus_client import Counter

from dispatcher.adapters.queue import apply_resolutions, enqueue_requests
from shared.contracts import SmsResolveV1
from shared.contracts.topics import SCHOOL_SETTINGS, SMS_REQUESTED, SMS_RESOLVE
from shared.db.types import Connection
from shared.kafka.consumer import BatchHandler
from shared.operators.accounts import apply_school_settings
from shared.runtime import Resources


def handlers(resources: Resources) -> Mapping[str, BatchHandler]:
    resolutions = Counter(
        "sms_dispatcher_resolutions_total",
        "Staff decisions applied to SMS whose outcome was unknown (à vérifier), by decision.",
        ["service", "decision"],
        registry=resources.registry,
    )

    async def on_sms_resolve(conn: Connection, messages: Sequence[SmsResolveV1]) -> None:
        applied = await apply_resolutions(conn, messages)
        for decision, count in Tally(applied).items():
            resolutions.labels(service="dispatcher", decision=decision).inc(count)

    return {
        SCHOOL_SETTINGS: apply_school_settings,
        SMS_REQUESTED: enqueue_requests,
        SMS_RESOLVE: on_sms_resolve,
    }

"""Kafka handlers of the events service: keep each SMS's state current."""

from __future__ import annotations

from collections.abc import Mapping

from events.adapters import health
from events.app.tracking import on_sms_rejected, on_sms_status, on_sms_submitted
from shared.contracts.topics import PROVIDER_HEALTH, SMS_REJECTED, SMS_STATUS, SMS_SUBMITTED
from shared.kafka.consumer import BatchHandler
from shared.runtime import Resources


def handlers(_resources: Resources) -> Mapping[str, BatchHandler]:
    return {
        SMS_SUBMITTED: on_sms_submitted,
        SMS_REJECTED: on_sms_rejected,
        SMS_STATUS: on_sms_status,
        PROVIDER_HEALTH: health.record,
    }

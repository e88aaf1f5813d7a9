"""Kafka handlers of the dispatcher: school settings and SMS requests land in its own tables."""

from __future__ import annotations

from collections.abc import Mapping

from dispatcher.adapters.queue import enqueue_requests
from shared.contracts.topics import SCHOOL_SETTINGS, SMS_REQUESTED
from shared.kafka.consumer import BatchHandler
from shared.operators.accounts import apply_school_settings
from shared.runtime import Resources


def handlers(_resources: Resources) -> Mapping[str, BatchHandler]:
    return {SCHOOL_SETTINGS: apply_school_settings, SMS_REQUESTED: enqueue_requests}

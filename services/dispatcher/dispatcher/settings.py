"""Settings of the dispatcher service (environment prefix `DISPATCHER_`)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.operators.http import OperatorHttpFields
from shared.settings import ServiceSettings


class DispatcherSettings(ServiceSettings, OperatorHttpFields):
    model_config = SettingsConfigDict(env_prefix="DISPATCHER_", extra="ignore", frozen=True)

    service_name: str = "dispatcher"
    http_port: int = 8001
    db_schema: str = "dispatcher"

    sender_tick_s: float = Field(default=0.2, gt=0)
    sender_claim_limit: int = Field(default=2000, ge=1)
    sender_concurrency: int = Field(default=32, ge=1)
    # An absence SMS sent in the evening is worse than none: give up after this long.
    max_queue_age_s: float = Field(default=3 * 3600, gt=0)
    retry_base_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    sending_timeout_s: float = Field(default=120.0, gt=0)
    operator_timeout_s: float = Field(default=15.0, gt=0)
    # Settings and requests travel on different topics: how long an SMS waits for its school's
    # provider account before failing with "no provider configured".
    no_provider_wait_s: float = Field(default=900.0, gt=0)
    # The circuit of an operator account opens after this many transient failures in a row, and
    # lets one probe through after the cool-down.
    circuit_threshold: int = Field(default=3, ge=1)
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    # provider.health.v1 is published on every change and at this interval while SMS wait.
    health_interval_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _sending_outlives_a_call(self) -> DispatcherSettings:
        # An SMS "sending" longer than this is presumed orphaned and reconciled: a live call
        # must never last that long, or a reconciliation could race it.
        if self.sending_timeout_s < 2 * self.operator_timeout_s:
            raise ValueError("sending_timeout_s must be at least twice operator_timeout_s")
        return self

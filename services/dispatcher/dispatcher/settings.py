"""Settings of the dispatcher service (environment prefix `DISPATCHER_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DispatcherSettings(ServiceSettings):
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

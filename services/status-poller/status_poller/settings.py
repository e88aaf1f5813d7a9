"""Settings of the status-poller service (environment prefix `STATUS_POLLER_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class StatusPollerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATUS_POLLER_", extra="ignore", frozen=True)

    service_name: str = "status-poller"
    http_port: int = 8002
    db_schema: str = "status_poller"

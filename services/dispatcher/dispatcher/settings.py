"""Settings of the dispatcher service (environment prefix `DISPATCHER_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DispatcherSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCHER_", extra="ignore", frozen=True)

    service_name: str = "dispatcher"
    http_port: int = 8001
    db_schema: str = "dispatcher"

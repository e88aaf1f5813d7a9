"""Settings of the events service (environment prefix `EVENTS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore", frozen=True)

    service_name: str = "events"
    http_port: int = 8000
    db_schema: str = "events"

"""Settings of the reporting service (environment prefix `REPORTING_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    http_port: int = 8003
    db_schema: str = "reporting"

"""Settings of the reporting service (environment prefix `REPORTING_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    http_port: int = 8003
    db_schema: str = "reporting"
    # How often the business metrics on /metrics are sampled from the counter tables.
    metrics_interval_s: float = Field(default=15.0, gt=0)
    # An SMS en transit or pris en charge whose state has not moved for this long is "stuck".
    stuck_in_transit_after_s: int = Field(default=3600, ge=60)

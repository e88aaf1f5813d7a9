"""Settings of the status-poller service (environment prefix `STATUS_POLLER_`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.operators.http import OperatorHttpFields
from shared.settings import ServiceSettings
from status_poller.domain.receipts import parse_networks


class StatusPollerSettings(ServiceSettings, OperatorHttpFields):
    model_config = SettingsConfigDict(env_prefix="STATUS_POLLER_", extra="ignore", frozen=True)

    service_name: str = "status-poller"
    http_port: int = 8002
    db_schema: str = "status_poller"

    # The polling loop: how often it looks for due SMS, how many it takes at once, how many
    # operator requests may run together, how long claimed rows stay hidden from other replicas,
    # and how long one status request may take whatever the adapter does.
    poll_tick_s: float = Field(default=1.0, gt=0)
    poll_claim_limit: int = Field(default=2000, ge=1)
    poll_concurrency: int = Field(default=16, ge=1)
    poll_lease_s: float = Field(default=300.0, gt=0)
    poll_call_timeout_s: float = Field(default=60.0, gt=0)

    # The rhythm: every 5 minutes (the seed's rule) while en transit or pris en charge; past
    # `poll_backoff_after_s` the interval grows (doubling) up to `poll_max_interval_s`.
    poll_interval_s: float = Field(default=300.0, gt=0)
    poll_backoff_after_s: float = Field(default=7200.0, ge=0)
    poll_max_interval_s: float = Field(default=3600.0, gt=0)
    # After a transient operator failure: this delay, doubling per failure in a row, capped.
    poll_retry_s: float = Field(default=60.0, gt=0)

    # Without a final answer this long after submission: non remis (expiré), our own verdict.
    validity_hours: float = Field(default=48.0, gt=0)
    # An expired SMS is still asked about this rarely, for this long, for the operator's late
    # final answer (which replaces our verdict).
    late_poll_interval_s: float = Field(default=21600.0, gt=0)
    late_tracking_hours: float = Field(default=168.0, ge=0)

    # "Mettre à jour": at most one refresh per school in this interval reaches its operator; the
    # requests in between take effect together when it ends.
    refresh_min_interval_s: float = Field(default=30.0, ge=0)

    # Receipts webhook: the source networks allowed to push receipts (CIDR, comma-separated in
    # the environment; empty: every source), and how long a receipt that came before its
    # submission is kept.
    receipt_allowed_sources: Annotated[list[str], NoDecode] = Field(default_factory=list)
    early_receipt_retention_h: float = Field(default=216.0, gt=0)

    # Timeout of the HTTP client the operator adapters share.
    operator_http_timeout_s: float = Field(default=15.0, gt=0)

    @field_validator("receipt_allowed_sources", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("receipt_allowed_sources")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

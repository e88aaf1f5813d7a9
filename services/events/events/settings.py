"""Settings of the events service (environment prefix `EVENTS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.operators.http import OperatorHttpFields
from shared.settings import Profile, ServiceSettings


class EventsSettings(ServiceSettings, OperatorHttpFields):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore", frozen=True)

    service_name: str = "events"
    http_port: int = 8000
    db_schema: str = "events"
    # The operator simulator is offered to schools only outside production.
    simulator_base_url: str = "http://127.0.0.1:8090"
    allow_simulator: bool | None = None
    # The académie's territory: a new school's default (time zone, phone region, school year).
    default_territory: str = "metropole"
    # Schools are created waiting for the académie's green light. Outside production a
    # deployment may choose to give it on creation; production never does.
    enable_schools_on_creation: bool = False
    # "Tester": how long the operator may take to answer the account check.
    operator_timeout_s: float = 10.0
    # The status-poller's public address, where operators push delivery receipts: the receipt URL
    # shown next to the provider form is built on it.
    receipts_base_url: str = "http://127.0.0.1:8002"
    # The largest file an import takes (a SIECLE export unzipped, a CSV of pupils or schools).
    import_max_bytes: int = 20_000_000
    # The web interface reads "Suivi des SMS" and the synthesis from reporting's API.
    reporting_base_url: str = "http://127.0.0.1:8003"
    # Sign-in: failures before an account is locked, and for how long.
    sign_in_max_failures: int = 5
    sign_in_lockout_minutes: int = 15
    # Failed sign-ins one client address may make in 15 minutes, whatever the logins.
    sign_in_max_failures_per_source: int = 30
    session_hours: float = 8.0

    @property
    def simulator_allowed(self) -> bool:
        if self.allow_simulator is not None:
            return self.allow_simulator and self.profile is not Profile.PRODUCTION
        return self.profile is not Profile.PRODUCTION

    @property
    def schools_enabled_on_creation(self) -> bool:
        return self.enable_schools_on_creation and self.profile is not Profile.PRODUCTION

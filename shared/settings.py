"""The settings every service shares; each service subclasses `ServiceSettings` with its own prefix.

Secrets have a working default only in the `local` and `test` profiles: a service started with
`profile=production` and a local default refuses to start (`validate_for_profile`).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A well-known Fernet key for local runs and tests only; refused in production.
LOCAL_DATA_KEY = "bG9jYWwtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE="
LOCAL_TOKEN_SIGNING_KEY = "local-only-token-signing-key-never-in-production"  # noqa: S105


class Profile(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    """Settings common to the four services (Kafka, PostgreSQL, HTTP, secrets, consumer policy)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    profile: Profile = Profile.LOCAL
    service_name: str = "service"
    instance_id: str = "1"
    log_level: str = "INFO"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Larger bodies are refused with 413 before any route reads them (uploads get their own cap).
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_batch_timeout_ms: int = Field(default=100, ge=1)
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_backoff_s: float = Field(default=1.0, ge=0)

    database_dsn: SecretStr = SecretStr("postgresql://sms_app@127.0.0.1:5432/sms")
    database_owner_dsn: SecretStr = SecretStr("postgresql://sms_owner@127.0.0.1:5432/sms")
    db_schema: str = "service"
    db_app_role: str = "sms_app"
    db_pool_min: int = 2
    db_pool_max: int = 10

    outbox_batch_size: int = Field(default=1000, ge=1)
    outbox_poll_interval_s: float = Field(default=0.1, gt=0)

    # Fernet keys, comma-separated, first one encrypts (rotation): dead letters, operator secrets.
    data_encryption_keys: SecretStr = SecretStr(LOCAL_DATA_KEY)
    # HS256 key of the staff and service tokens (shared by the services of a deployment).
    token_signing_key: SecretStr = SecretStr(LOCAL_TOKEN_SIGNING_KEY)

    @model_validator(mode="after")
    def _refuse_local_secrets_in_production(self) -> ServiceSettings:
        if self.profile is not Profile.PRODUCTION:
            return self
        if LOCAL_DATA_KEY in self.data_encryption_keys.get_secret_value().split(","):
            raise ValueError(
                "data_encryption_keys still holds the local development key: "
                "set a real key for the production profile"
            )
        if self.token_signing_key.get_secret_value() == LOCAL_TOKEN_SIGNING_KEY:
            raise ValueError(
                "token_signing_key is the local development key: "
                "set a real key for the production profile"
            )
        return self

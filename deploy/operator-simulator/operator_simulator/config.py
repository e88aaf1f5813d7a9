"""What a test or a demo can script about an account: credentials, timing, outcomes, outages."""

from __future__ import annotations

import hmac
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Outcome = Literal["delivered", "undelivered", "invalid", "landline"]
# "drop_answer" is not an outage of the operator but of the network on the way back: the request is
# processed, then the connection is closed without an answer (the case lookups by client_ref serve).
OutageMode = Literal["none", "drop", "drop_answer", "503", "429"]

DEFAULT_MAX_BATCH = 500
UNLIMITED_CREDIT = 1_000_000
DEFAULT_TOKEN_LIFETIME_S = 3600


class OutcomeRule(BaseModel):
    """The fate of numbers matching `pattern` (``re.search`` on the E.164 number)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern: str
    outcome: Outcome

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        return pattern

    def matches(self, number: str) -> bool:
        return re.search(self.pattern, number) is not None


class Outage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: OutageMode = "none"
    retry_after_s: int = Field(default=1, ge=0)


class AccountConfig(BaseModel):
    """One account's behaviour; the defaults apply to every field an account does not set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    password: str | None = None
    reject_credentials: bool = False
    delivery_delay_s: float = Field(default=1.0, ge=0, le=86_400)
    outcomes: tuple[OutcomeRule, ...] = ()
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    outage: Outage = Outage()
    max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1)
    credit: int = UNLIMITED_CREDIT
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Answers cut to the first half of their body (the request is processed as usual).
    malformed: bool = False
    token_lifetime_s: int = Field(default=DEFAULT_TOKEN_LIFETIME_S, ge=1, le=86_400)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("webhook_url must be an http:// or https:// URL")
        return url

    def outcome_for(self, number: str) -> Outcome:
        """First matching rule wins; a number no rule matches is delivered."""
        for rule in self.outcomes:
            if rule.matches(number):
                return rule.outcome
        return "delivered"

    def accepts(self, password: str) -> bool:
        if self.reject_credentials:
            return False
        return self.password is None or _same_secret(password, self.password)

    def merged(self, update: dict[str, Any]) -> AccountConfig:
        """This configuration with the fields of `update` replaced (validated as a whole).

        Nested values (`outage`, `outcomes`) are replaced, not merged.
        """
        return AccountConfig.model_validate({**self.model_dump(), **update})

    def public_view(self) -> dict[str, Any]:
        """Everything but the secrets, which only show whether they are set."""
        view = self.model_dump(mode="json", exclude={"password", "webhook_secret"})
        view["password_set"] = self.password is not None
        view["webhook_secret_set"] = self.webhook_secret is not None
        return view


def _same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())

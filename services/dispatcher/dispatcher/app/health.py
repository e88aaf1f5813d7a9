"""What the dispatcher knows of each school's operator: its circuit, the last error, and when it
was last told (`provider.health.v1`, on every change and periodically while something waits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dispatcher.app.outcomes import PRODUCER
from dispatcher.domain.circuit import Circuit
from dispatcher.domain.reasons import message_fr
from shared.contracts import ProviderHealthV1


@dataclass
class SchoolHealth:
    uai: str
    circuit: Circuit
    provider_code: str | None = None
    last_error_code: str | None = None
    published: tuple[str, bool, str | None] | None = None
    published_at: float = field(default=-1e9)

    def message(self, waiting: int) -> ProviderHealthV1:
        return ProviderHealthV1(
            producer=PRODUCER,
            uai=self.uai,
            provider_code=self.provider_code,
            reachable=self.circuit.state == "closed",
            circuit_state=self.circuit.state,
            waiting_sms=max(0, waiting),
            last_error_code=self.last_error_code,
            last_error_fr=message_fr(self.last_error_code) if self.last_error_code else None,
            checked_at=datetime.now(UTC),
        )

    def due(self, waiting: int, now: float, interval_s: float) -> bool:
        """Should it be told now? On a change, or every `interval_s` while SMS wait."""
        if self._summary(waiting) != self.published:
            return True
        return waiting > 0 and now - self.published_at >= interval_s

    def mark_published(self, waiting: int, now: float) -> None:
        self.published, self.published_at = self._summary(waiting), now

    def _summary(self, waiting: int) -> tuple[str, bool, str | None]:
        return (self.circuit.state, waiting > 0, self.last_error_code)

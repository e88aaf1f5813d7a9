"""A circuit breaker per operator account: a dead operator is not hammered.

closed: calls go through; `threshold` consecutive transient failures open it.
open: no call for `cooldown_s`; then one probe is allowed (half-open).
half_open: the probe's success closes it, its failure opens it again for another cool-down.
Pure: the caller gives the clock, so the rules are tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CircuitState = Literal["closed", "open", "half_open"]


@dataclass
class Circuit:
    threshold: int = 3
    cooldown_s: float = 30.0
    state: CircuitState = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False

    def allows(self, now: float) -> bool:
        """May a call go out now? Past the cool-down, an open circuit lets one probe through."""
        if self.state == "closed":
            return True
        if self.state == "open" and now - self.opened_at >= self.cooldown_s:
            self.state = "half_open"
            self.probing = False
        if self.state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def succeeded(self) -> bool:
        """Record a call the operator answered; True when the state changed."""
        changed = self.state != "closed"
        self.state, self.failures, self.probing = "closed", 0, False
        return changed

    def release(self) -> None:
        """The probe let through found nothing to send: let the next one go."""
        self.probing = False

    def failed(self, now: float) -> bool:
        """Record a transient failure; True when the state changed."""
        self.failures += 1
        self.probing = False
        if self.state == "half_open" or (
            self.state == "closed" and self.failures >= self.threshold
        ):
            self.state, self.opened_at = "open", now
            return True
        if self.state == "open":
            self.opened_at = now
        return False

    def reopens_in(self, now: float) -> float:
        """Seconds until the next probe may go out (0 when calls are allowed)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.cooldown_s - (now - self.opened_at))

"""Pacing an operator account: a token bucket at the operator's rate limit.

Pure: the caller gives the clock and does the waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_s: float
    burst: float
    tokens: float = field(default=-1.0)
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, count: int, now: float) -> float:
        """Take `count` tokens; returns how long to wait before sending them (0: send now).

        Tokens may go negative: the wait pays the debt, so a batch larger than what is left
        (never larger than `burst`) is sent once enough time has passed.
        """
        self._refill(now)
        self.tokens -= count
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate_per_s

    def _refill(self, now: float) -> None:
        if self.updated_at:
            elapsed = max(0.0, now - self.updated_at)
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s)
        self.updated_at = now

    def refund(self, count: int) -> None:
        """Give back tokens taken for SMS that were not there to send."""
        self.tokens = min(self.burst, self.tokens + max(0, count))

"""When to try an operator again: jittered exponential backoff, honouring Retry-After."""

from __future__ import annotations

import random


def retry_delay(
    attempts: int,
    *,
    base_s: float,
    max_s: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt `attempts + 1` (full jitter, never below Retry-After)."""
    ceiling = min(max_s, base_s * (2 ** max(attempts - 1, 0)))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return delay

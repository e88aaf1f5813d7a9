"""What the adapter tests share besides fixtures: the account's credentials and SMS to send."""

from __future__ import annotations

import re

from shared.operators.base import OutgoingSms

KEY, PASSWORD = "clg-0750001A", "s3cret"
# Longer than any answer of a simulator without latency; shorter than the latency of the tests
# that make it time out.
READ_TIMEOUT_S = 1.0
SLOW_MS = 1600


def sms(
    n: int = 1, *, text: str = "Absence de Léo ce matin.", to: str | None = None
) -> OutgoingSms:
    """Our SMS number `n`: reference `ref-<n>`, a French mobile unless `to` says otherwise."""
    return OutgoingSms(
        client_reference=f"ref-{n}", to=to or f"+3363998{n:04d}", text=text, sender=None
    )


def rule(number: str, outcome: str) -> dict[str, str]:
    """A simulator outcome rule for exactly this E.164 number."""
    return {"pattern": "^" + re.escape(number) + "$", "outcome": outcome}

"""Backoff and the words staff read when an SMS is not sent."""

from __future__ import annotations

import random

from dispatcher.domain.reasons import OPERATOR_UNREACHABLE, message_fr, rejected_state
from dispatcher.domain.retry import retry_delay
from shared.states import SmsState


def test_backoff_grows_exponentially_within_its_jitter_band() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, base_s=2, max_s=300, rng=rng) for n in range(1, 7)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(300, 2 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_capped() -> None:
    assert retry_delay(30, base_s=2, max_s=300, rng=random.Random(1)) <= 300


def test_retry_after_is_honoured() -> None:
    assert retry_delay(1, base_s=2, max_s=300, retry_after_s=45, rng=random.Random(1)) >= 45


def test_operator_unreachable_uses_the_seeds_message() -> None:
    assert message_fr("operator_unreachable") == OPERATOR_UNREACHABLE
    assert OPERATOR_UNREACHABLE.startswith("Le service d'envoi de SMS est injoignable")


def test_a_bad_number_is_invalid_and_everything_else_a_failure() -> None:
    assert rejected_state("invalid_number") is SmsState.INVALID
    assert rejected_state("bad_credentials") is SmsState.FAILED
    assert "identifiants" in message_fr("bad_credentials")

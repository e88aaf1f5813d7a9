"""How a consumer tells a passing outage from a message that will never be processed."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError


class TransientError(Exception):
    """Raised by a handler when the failure is not the message's fault (try again later)."""


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientError,
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed: a lost database or broker, a serialization conflict.

    Such failures are not counted against the message: a database outage must never send a
    whole topic to its dead-letter queue.
    """
    return isinstance(exc, _TRANSIENT_TYPES)


def summarize_error(exc: BaseException) -> str:
    """An error summary safe to store and to publish: never the message's values.

    Exception texts may quote the data that failed (a phone number, a name), so only the type and
    structured, value-free details are kept; an exception may offer its own `safe_summary`.
    """
    safe = getattr(exc, "safe_summary", None)
    if isinstance(safe, str):
        return f"{type(exc).__name__}: {safe}"[:500]
    if isinstance(exc, asyncpg.PostgresError):
        constraint = getattr(exc, "constraint_name", None)
        details = f"sqlstate={exc.sqlstate}"
        if constraint:
            details += f" constraint={constraint}"
        return f"{type(exc).__name__}: {details}"
    return type(exc).__name__

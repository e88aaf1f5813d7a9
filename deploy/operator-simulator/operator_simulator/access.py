"""The door of the public API: who is calling, and what the account's script says happens first.

In order: the credentials name the account (HTTP Basic for the native API, each dialect its own
way); its latency is waited; its outage (if any) answers instead of the API; then the password is
checked.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import PlainTextResponse

from operator_simulator.config import AccountConfig
from operator_simulator.connection import DropConnection, drop_answer
from operator_simulator.errors import Answer, ApiError
from operator_simulator.malformed import malform_answer
from operator_simulator.request_log import annotate
from operator_simulator.state import Simulator

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="operator-simulator"'}


@dataclass(frozen=True)
class AccountSession:
    account: str
    config: AccountConfig


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    account, separator, password = decoded.partition(":")
    return (account, password) if separator and account else None


def session_dependency(simulator: Simulator) -> Callable[[Request], Awaitable[AccountSession]]:
    async def open_session(request: Request) -> AccountSession:
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise ApiError(401, "invalid_credentials", headers=_CHALLENGE)
        account, password = credentials
        config = await admit(simulator, request, account)
        if not config.accepts(password):
            raise ApiError(401, "invalid_credentials", headers=_CHALLENGE)
        return AccountSession(account, config)

    return open_session


async def admit(
    simulator: Simulator, request: Request, account: str, *, plain_outages: bool = False
) -> AccountConfig:
    """What happens once a request names its account, before its credentials are checked.

    The account's latency is waited and its outage applied; a `malformed` account gets its answer
    cut. Outage answers are JSON for the native API, plain text for the operators' dialects.
    Callers read the request body first, as a real server would: a client that gives up waiting
    leaves a request that is still processed (its outcome unknown to the client).
    """
    annotate(request, account=account)
    config = await simulator.config_for(account)
    if config.latency_ms:
        await asyncio.sleep(config.latency_ms / 1000)
    _apply_outage(request, config, plain_outages)
    if config.malformed:
        malform_answer(request.scope)
    return config


def _apply_outage(request: Request, config: AccountConfig, plain: bool) -> None:
    outage = config.outage
    retry_after = {"Retry-After": str(outage.retry_after_s)}
    if outage.mode == "drop":
        raise DropConnection
    if outage.mode == "drop_answer":
        drop_answer(request.scope)
    elif outage.mode == "503":
        if plain:
            raise Answer(PlainTextResponse("Service Unavailable", 503, headers=retry_after))
        raise ApiError(503, "service_unavailable", headers=retry_after)
    elif outage.mode == "429":
        if plain:
            raise Answer(PlainTextResponse("Too Many Requests", 429, headers=retry_after))
        raise ApiError(
            429, "too_many_requests", headers=retry_after, retry_after_s=outage.retry_after_s
        )

"""The control API, ``/_control``: scripts the simulator and shows what it received.

No authentication: serve it on loopback only (the default host is 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import ValidationError

from operator_simulator.config import AccountConfig
from operator_simulator.errors import bad_request
from operator_simulator.lifecycle import iso_utc
from operator_simulator.receipts import ReceiptSender
from operator_simulator.state import Simulator

ConfigUpdate = Annotated[dict[str, Any], Body()]


def control_router(simulator: Simulator, receipts: ReceiptSender) -> APIRouter:
    router = APIRouter(prefix="/_control")

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/defaults")
    async def show_defaults() -> dict[str, Any]:
        return (await simulator.defaults()).public_view()

    @router.put("/defaults")
    async def configure_defaults(update: ConfigUpdate) -> dict[str, Any]:
        config = await _validated(simulator.configure_defaults(update))
        return config.public_view()

    @router.get("/accounts/{account}")
    async def show_account(account: str) -> dict[str, Any]:
        config = await simulator.config_for(account)
        return _account_view(account, config, await simulator.overridden_fields(account))

    @router.put("/accounts/{account}")
    async def configure_account(account: str, update: ConfigUpdate) -> dict[str, Any]:
        config = await _validated(simulator.configure_account(account, update))
        return _account_view(account, config, await simulator.overridden_fields(account))

    @router.get("/submissions")
    async def submissions(account: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
        return [
            {
                "account": message.account,
                "message_id": message.message_id,
                "client_ref": message.client_ref,
                "to": message.content.to,
                "text": message.content.text,
                "sender": message.content.sender,
                "segments": message.content.segments,
                "accepted_at": iso_utc(message.accepted_at),
                "dialect": message.content.dialect,
                "endpoint": message.content.endpoint,
                "batch_id": message.content.batch_id,
                "received": dict(message.content.received),
            }
            for message in await simulator.submissions(account)
        ]

    @router.get("/requests")
    async def requests(account: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
        return await simulator.journal(account)

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        await receipts.cancel_pending()
        await simulator.reset()
        return {"status": "reset"}

    return router


async def _validated(configuring: Awaitable[AccountConfig]) -> AccountConfig:
    try:
        return await configuring
    except ValidationError as exc:
        raise bad_request(exc) from exc


def _account_view(account: str, config: AccountConfig, overridden: list[str]) -> dict[str, Any]:
    return {"account": account, **config.public_view(), "overridden": overridden}

"""`school.settings.v1` leaves through the outbox; a consumer (the dispatcher) materialises it."""

from __future__ import annotations

import contextlib

import httpx
import pytest
from events_support import CERTIFIED, create_school, enable, running_api
from support.events_api import UAI
from support.kafka_probe import eventually

from dispatcher.main import build_app as build_dispatcher
from dispatcher.settings import DispatcherSettings
from shared.db.pool import tenant_transaction


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_green_light_and_the_provider_reach_the_dispatcher(isolation, topics) -> None:
    await topics()
    dispatcher = build_dispatcher(
        isolation.settings(DispatcherSettings, db_schema=f"{isolation.schema}_dispatcher")
    )
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(dispatcher.router.lifespan_context(dispatcher))
        await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=dispatcher), base_url="http://d")
        )
        api = await stack.enter_async_context(
            running_api(isolation, enable_schools_on_creation=False)
        )
        await create_school(api, quiet_hours={"start": "21:00", "end": "07:00"})
        await enable(api, UAI)
        await api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
        pool = dispatcher.state.resources.pool

        async def materialised() -> bool:
            async with tenant_transaction(pool, {UAI}, readonly=True) as conn:
                row = await conn.fetchrow(
                    "SELECT sms_enabled, provider_code, sender_name FROM provider_accounts"
                    " WHERE uai = $1",
                    UAI,
                )
            return row is not None and row["provider_code"] == "DIGITALEO"

        await eventually(materialised, timeout=60)
        async with tenant_transaction(pool, {UAI}, readonly=True) as conn:
            row = await conn.fetchrow(
                "SELECT sms_enabled, sender_name FROM provider_accounts WHERE uai = $1", UAI
            )
        assert (row["sms_enabled"], row["sender_name"]) == (True, "COLLEGE VH")

"""The events app in-process with its web interface, and accounts to sign in with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.events_api import OTHER_UAI, UAI, Api
from ui_support import Browser, add_account, running_ui

from shared.auth import Role


@pytest.fixture
async def ui(isolation, topics) -> AsyncIterator[tuple[Api, Any]]:
    await topics()
    async with running_ui(isolation, enable_schools_on_creation=True) as running:
        _api, app = running
        await add_account(app, "cpe@a", Role.STAFF, UAI)
        await add_account(app, "cpe@b", Role.STAFF, OTHER_UAI)
        await add_account(app, "rectorat", Role.ACADEMIE_ADMIN)
        yield running


@pytest.fixture
async def browser(ui) -> AsyncIterator[Browser]:
    opened = Browser(ui[1])
    yield opened
    await opened.aclose()

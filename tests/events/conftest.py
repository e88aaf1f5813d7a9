"""The events app in-process on the session's real PostgreSQL (Kafka is not needed to serve)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from events_support import running_api
from support.events_api import Api


@pytest.fixture
async def api(isolation, topics) -> AsyncIterator[Api]:
    """Schools get the green light on creation (a deployment setting, refused in production)."""
    await topics()
    async with running_api(isolation, enable_schools_on_creation=True) as running:
        yield running


@pytest.fixture
async def strict_api(isolation, topics) -> AsyncIterator[Api]:
    """As in production: a school waits for the académie's green light."""
    await topics()
    async with running_api(isolation, enable_schools_on_creation=False) as running:
        yield running

"""What the events routers share: the request body base, dependencies, the school transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from events.app.operators import CatalogOptions, load_catalog
from events.app.schools import Policy
from events.domain.providers import ProviderEntry
from events.settings import EventsSettings
from shared.db.pool import tenant_transaction
from shared.db.types import Connection
from shared.operators.base import AdapterRegistry
from shared.runtime import Resources


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def resources(request: Request) -> Resources:
    res: Resources = request.app.state.resources
    return res


Res = Annotated[Resources, Depends(resources)]


def catalog_options(request: Request) -> CatalogOptions:
    options: CatalogOptions = request.app.state.catalog_options
    return options


Options = Annotated[CatalogOptions, Depends(catalog_options)]


async def catalog(res: Res, options: Options) -> dict[str, ProviderEntry]:
    """The operator catalog as the académie keeps it now (a small table, read per request)."""
    async with res.pool.acquire() as conn:
        return await load_catalog(conn, options)


Catalog = Annotated[dict[str, ProviderEntry], Depends(catalog)]


def operator_adapters(request: Request, res: Res) -> AdapterRegistry:
    """The operator adapters "Tester" calls through, built on first use with their HTTP client
    (closed when the service stops)."""
    registry: AdapterRegistry | None = res.extras.get("operator_adapters")
    if registry is None:
        build: Callable[[], tuple[AdapterRegistry, Callable[[], Awaitable[Any]]]]
        build = request.app.state.operator_adapters_factory
        registry, close = build()
        res.extras["operator_adapters"] = registry
        res.on_shutdown.append(close)
    return registry


Adapters = Annotated[AdapterRegistry, Depends(operator_adapters)]


def events_settings(request: Request) -> EventsSettings:
    found: EventsSettings = request.app.state.settings
    return found


Settings = Annotated[EventsSettings, Depends(events_settings)]


def policy(request: Request) -> Policy:
    found: Policy = request.app.state.policy
    return found


SchoolPolicy = Annotated[Policy, Depends(policy)]


@contextlib.asynccontextmanager
async def school_tx(res: Resources, uai: str) -> AsyncIterator[Connection]:
    """One transaction working for one school (declared for row-level security)."""
    async with tenant_transaction(res.pool, {uai}) as conn:
        yield conn


@contextlib.asynccontextmanager
async def schools_tx(res: Resources, uais: Collection[str]) -> AsyncIterator[Connection]:
    """One transaction working for the listed schools (the académie's bulk operations)."""
    async with tenant_transaction(res.pool, set(uais)) as conn:
        yield conn


Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]

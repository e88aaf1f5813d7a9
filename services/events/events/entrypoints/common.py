"""What the events routers share: the request body base, dependencies, the school transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from events.app.operators import CatalogOptions, load_catalog
from events.app.schools import Policy
from events.domain.providers import ProviderEntry
from shared.db.pool import tenant_transaction
from shared.db.types import Connection
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

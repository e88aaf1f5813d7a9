"""Helpers of the school pages: the school's transaction, its header data, form errors by field."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from events.app import schools
from events.app.operators import CatalogOptions, load_catalog
from events.domain.errors import DomainError, NotFound
from events.domain.providers import ProviderEntry
from events.entrypoints.common import school_tx
from events.ui.web import Session, host, resources, school_session
from shared.db.types import Connection

UAI_FORMAT = re.compile(r"^\d{7}[A-Z]$")


def checked_uai(uai: str) -> str:
    uai = uai.upper()
    if not UAI_FORMAT.match(uai):
        raise NotFound("unknown_school", "Établissement inconnu.")
    return uai


@contextlib.asynccontextmanager
async def school_page(
    request: Request, uai: str
) -> AsyncIterator[tuple[Session, Connection, dict[str, Any]]]:
    """The session (allowed on `uai`), a transaction for the school, and the school itself."""
    uai = checked_uai(uai)
    session = school_session(request, uai)
    async with school_tx(resources(request), uai) as conn:
        school = await schools.require_school(conn, uai)
        yield session, conn, school


async def catalog(request: Request, conn: Connection) -> dict[str, ProviderEntry]:
    """The operator catalog as the académie keeps it now."""
    options: CatalogOptions = host(request).state.catalog_options
    return await load_catalog(conn, options)


def field_errors(exc: DomainError, by_code: dict[str, str], default: str) -> dict[str, str]:
    """A domain error's message placed next to the field it is about."""
    fields = exc.details.get("fields")
    if isinstance(fields, dict) and fields:
        return {str(k): str(v) for k, v in fields.items()}
    return {by_code.get(exc.code, default): exc.message}

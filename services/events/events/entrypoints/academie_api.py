"""The académie's routes: the green light ("feu vert") and bulk provisioning of schools."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AfterValidator, Field

from events.adapters import operators as operators_repo
from events.app import operators, provisioning, schools
from events.domain.errors import DomainError
from events.domain.providers import dialects
from events.entrypoints.common import (
    Body,
    Catalog,
    Options,
    Page,
    PageSize,
    Res,
    SchoolPolicy,
    schools_tx,
)
from shared.auth.http import AcademiePrincipal
from shared.contracts.envelope import Uai
from shared.db.pool import set_all_schools_scope
from shared.db.types import Connection

router = APIRouter(prefix="/api/v1/academie")


def _distinct(uais: list[str]) -> list[str]:
    return list(dict.fromkeys(uais))


class SchoolsIn(Body):
    uais: Annotated[list[Uai], AfterValidator(_distinct)] = Field(min_length=1, max_length=5000)


@router.post("/schools/enable")
async def enable(body: SchoolsIn, principal: AcademiePrincipal, res: Res, cat: Catalog) -> Any:
    """Give the green light to the listed schools: one answer per UAI."""
    async with schools_tx(res, body.uais) as conn:
        results = await schools.set_green_light(conn, body.uais, True, cat, actor=principal.subject)
    res.relay.wake()
    return {"results": results}


@router.post("/schools/disable")
async def disable(body: SchoolsIn, principal: AcademiePrincipal, res: Res, cat: Catalog) -> Any:
    """Withdraw the green light from the listed schools: one answer per UAI."""
    async with schools_tx(res, body.uais) as conn:
        results = await schools.set_green_light(
            conn, body.uais, False, cat, actor=principal.subject
        )
    res.relay.wake()
    return {"results": results}


@router.post("/schools/import")
async def import_schools(
    request: Request, principal: AcademiePrincipal, res: Res, cat: Catalog, policy: SchoolPolicy
) -> Any:
    """The body is the CSV itself (UAI;nom;téléphone;adresse;territoire, with a header line)."""
    limit: int = request.app.state.import_max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise DomainError(
                "csv_too_large",
                f"Fichier trop volumineux : {limit // 1000} ko au plus par import.",
            )
    lines, errors = provisioning.parse(bytes(data))
    async with schools_tx(res, {line.uai for line in lines}) as conn:
        answer = await provisioning.import_schools(
            conn, lines, errors, cat, actor=principal.subject, policy=policy
        )
    res.relay.wake()
    return answer


class OperatorIn(Body):
    """An operator of a dialect the platform speaks; checked field by field by the use case."""

    code: str | None = Field(default=None, max_length=30, description="e.g. PLURIWARE")
    name: str | None = Field(default=None, max_length=200)
    dialect: str | None = Field(default=None, max_length=40, description="see GET …/operators")
    base_url: str | None = Field(default=None, max_length=500, description="the API's base URL")
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=500)


class OperatorChangeIn(Body):
    name: str | None = Field(default=None, max_length=200)
    dialect: str | None = Field(default=None, max_length=40)
    base_url: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=500)


@contextlib.asynccontextmanager
async def _academie_tx(res: Res, reason: str) -> AsyncIterator[Connection]:
    async with res.pool.acquire() as conn, conn.transaction():
        await set_all_schools_scope(conn, reason)
        yield conn


@router.get("/operators")
async def get_operators(_p: AcademiePrincipal, res: Res, options: Options) -> Any:
    """Every operator, retired or not, with the schools using it and the dialects available."""
    async with _academie_tx(res, "operator catalog") as conn:
        items = await operators.list_operators(conn, options)
    return {"items": items, "dialects": dialects(allow_simulator=options.allow_simulator)}


@router.post("/operators", status_code=201)
async def post_operator(
    body: OperatorIn, principal: AcademiePrincipal, res: Res, options: Options
) -> Any:
    async with _academie_tx(res, "operator catalog") as conn:
        return await operators.create_operator(
            conn, body.model_dump(), options, actor=principal.subject
        )


@router.put("/operators/{code}")
async def put_operator(
    code: str, body: OperatorChangeIn, principal: AcademiePrincipal, res: Res, options: Options
) -> Any:
    """Change an operator; the schools using it get their settings republished."""
    async with _academie_tx(res, "operator catalog") as conn:
        view = await operators.update_operator(
            conn, code.upper(), body.model_dump(), options, actor=principal.subject
        )
    res.relay.wake()
    return view


@router.post("/operators/{code}/retire")
async def retire_operator(code: str, principal: AcademiePrincipal, res: Res) -> Any:
    async with _academie_tx(res, "operator catalog") as conn:
        return await operators.set_retired(conn, code.upper(), True, actor=principal.subject)


@router.post("/operators/{code}/restore")
async def restore_operator(code: str, principal: AcademiePrincipal, res: Res) -> Any:
    async with _academie_tx(res, "operator catalog") as conn:
        return await operators.set_retired(conn, code.upper(), False, actor=principal.subject)


@router.get("/audit")
async def get_academie_audit(
    _p: AcademiePrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    """What the académie changed outside any one school (the operator catalog)."""
    async with res.pool.acquire() as conn:
        total, items = await operators_repo.audit_page(conn, page_size, (page - 1) * page_size)
    return {"count": total, "page": page, "page_size": page_size, "items": items}

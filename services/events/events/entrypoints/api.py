"""The events REST API: routes validate, open the school's transaction and call a use case."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.app import absences, directory, schools
from events.domain.errors import DomainError
from events.domain.providers import ProviderEntry
from shared.auth import Principal, Role
from shared.auth.http import FORBIDDEN, AcademiePrincipal, CurrentPrincipal, SchoolPrincipal
from shared.contracts.envelope import SenderName, TimeZoneName
from shared.db.pool import tenant_transaction
from shared.db.types import Connection
from shared.runtime import Resources

router = APIRouter(prefix="/api/v1")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SchoolIn(Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    sender_name: SenderName | None = None
    time_zone: TimeZoneName | None = None
    phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    school_year_start_month: int | None = Field(default=None, ge=1, le=12)


class ProviderIn(Body):
    provider_code: str | None = Field(description="null = Aucun")
    key: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200, description="write-only")
    option1: str | None = Field(default=None, max_length=200)
    option2: str | None = Field(default=None, max_length=200)


class ActionIn(Body):
    code: str = Field(min_length=1, max_length=20, description="Libellé court")
    label: str = Field(min_length=1, max_length=100, description="Libellé long")
    response_delay_days: int = Field(default=1, ge=0, le=365)
    template: str = Field(min_length=1, max_length=1000)
    contact_phone: str | None = Field(default=None, max_length=30)
    active: bool = True


class RecipientIn(Body):
    role_label: str = Field(min_length=1, max_length=60)
    name: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=30)
    accepts_sms: bool = False


class PupilIn(Body):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    division: str | None = Field(default=None, max_length=30)
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=10)


class AbsenceIn(Body):
    pupil_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=100)
    observed: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("dates must carry a time zone offset")
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class SmsActionIn(Body):
    action_id: UUID
    recipient_ids: list[UUID] = Field(min_length=1, max_length=10)


class DiffuseIn(Body):
    ids: list[UUID] | None = Field(default=None, max_length=5000)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> DiffuseIn:
        if self.all == (self.ids is not None):
            raise ValueError("give either ids or all=true")
        return self


class DeleteIn(Body):
    ids: list[UUID] = Field(min_length=1, max_length=5000)


def resources(request: Request) -> Resources:
    res: Resources = request.app.state.resources
    return res


Res = Annotated[Resources, Depends(resources)]


def catalog(request: Request) -> dict[str, ProviderEntry]:
    entries: dict[str, ProviderEntry] = request.app.state.catalog
    return entries


Catalog = Annotated[dict[str, ProviderEntry], Depends(catalog)]


@contextlib.asynccontextmanager
async def school_tx(res: Resources, uai: str) -> AsyncIterator[Connection]:
    """One transaction working for one school (declared for row-level security)."""
    async with tenant_transaction(res.pool, {uai}) as conn:
        yield conn


Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.put("/schools/{uai}")
async def put_school(
    uai: str, body: SchoolIn, _p: AcademiePrincipal, res: Res, cat: Catalog
) -> Any:
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        return await schools.save_school(conn, uai, body.model_dump(), cat)


@router.get("/schools/{uai}")
async def get_school(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await schools.require_school(conn, uai.upper())


@router.get("/providers")
async def list_providers(principal: CurrentPrincipal, cat: Catalog) -> Any:
    if principal.role is Role.OPS:
        raise FORBIDDEN
    return [
        {
            "code": e.code,
            "name": e.name,
            "email": e.email,
            "phone": e.phone,
            "website": e.website,
            "fields": e.fields,
        }
        for e in cat.values()
    ]


@router.get("/schools/{uai}/provider")
async def get_provider(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        await schools.require_school(conn, uai.upper())
        return await schools.provider_view(conn, uai.upper())


@router.put("/schools/{uai}/provider")
async def put_provider(
    uai: str, body: ProviderIn, _p: SchoolPrincipal, res: Res, cat: Catalog
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await schools.save_provider(conn, uai.upper(), body.model_dump(), cat, res.box)


@router.post("/schools/{uai}/actions", status_code=201)
async def post_action(uai: str, body: ActionIn, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.create_action(conn, uai.upper(), body.model_dump())


@router.get("/schools/{uai}/actions")
async def get_actions(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.list_actions(conn, uai.upper())


@router.get("/schools/{uai}/actions/{action_id}")
async def get_action(uai: str, action_id: UUID, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.get_action(conn, uai.upper(), action_id)


@router.put("/schools/{uai}/actions/{action_id}")
async def put_action(
    uai: str, action_id: UUID, body: ActionIn, _p: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.update_action(conn, uai.upper(), action_id, body.model_dump())


@router.delete("/schools/{uai}/actions/{action_id}", status_code=204)
async def delete_action(uai: str, action_id: UUID, _p: SchoolPrincipal, res: Res) -> None:
    async with school_tx(res, uai.upper()) as conn:
        await directory.delete_action(conn, uai.upper(), action_id)


@router.post("/schools/{uai}/pupils", status_code=201)
async def post_pupil(uai: str, body: PupilIn, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.create_pupil(conn, uai.upper(), body.model_dump())


@router.get("/schools/{uai}/pupils")
async def get_pupils(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        await schools.require_school(conn, uai.upper())
        return await directory.list_pupils(conn, uai.upper(), page_size, (page - 1) * page_size)


@router.get("/schools/{uai}/pupils/{pupil_id}")
async def get_pupil(uai: str, pupil_id: UUID, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.get_pupil(conn, uai.upper(), pupil_id)


@router.post("/schools/{uai}/absences", status_code=201)
async def post_absence(uai: str, body: AbsenceIn, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.record_absence(conn, uai.upper(), body.model_dump())


@router.get("/schools/{uai}/absences")
async def get_absences(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.list_absences(conn, uai.upper(), page_size, (page - 1) * page_size)


@router.get("/schools/{uai}/absences/{absence_id}")
async def get_absence(uai: str, absence_id: UUID, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.get_absence(conn, uai.upper(), absence_id)


@router.post("/schools/{uai}/absences/{absence_id}/sms", status_code=201)
async def post_sms_action(
    uai: str, absence_id: UUID, body: SmsActionIn, _p: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.add_sms_action(
            conn, uai.upper(), absence_id, body.action_id, body.recipient_ids
        )


@router.get("/schools/{uai}/sms/pending")
async def get_pending(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.pending_page(conn, uai.upper(), page, page_size)


@router.post("/schools/{uai}/sms/diffuse")
async def post_diffuse(uai: str, body: DiffuseIn, principal: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        result = await absences.diffuse(
            conn, uai.upper(), None if body.all else body.ids, principal.subject
        )
    res.relay.wake()
    return result


@router.post("/schools/{uai}/sms/delete")
async def post_delete(uai: str, body: DeleteIn, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.delete_pending(conn, uai.upper(), body.ids)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message, **exc.details}},
            status_code=exc.status,
        )


__all__ = ["Principal", "install_error_handlers", "router"]

"""Paramétrages: a school's settings, its provider account, its SMS actions and its audit trail."""

from __future__ import annotations

from datetime import date, time
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import Field

from events.adapters import audit
from events.app import directory, operators, provider_check, providers, schools
from events.entrypoints.common import (
    Adapters,
    Body,
    Catalog,
    Page,
    PageSize,
    Res,
    SchoolPolicy,
    Settings,
    school_tx,
)
from shared.auth import Role
from shared.auth.http import FORBIDDEN, AcademiePrincipal, CurrentPrincipal, SchoolPrincipal
from shared.contracts.envelope import TimeZoneName
from shared.db.types import Connection

router = APIRouter(prefix="/api/v1")


class QuietHoursIn(Body):
    start: time = Field(description="local time, in the school's time zone")
    end: time = Field(description="local time; may be before start (spans midnight)")


class SchoolIn(Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    address: str | None = Field(default=None, max_length=500)
    sender_name: str | None = Field(
        default=None,
        max_length=100,
        description="at most 11 letters, digits or spaces, at least one letter",
    )
    territory: str | None = Field(default=None, max_length=40, description="e.g. metropole")
    time_zone: TimeZoneName | None = Field(default=None, description="overrides the territory's")
    phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    school_year_start_month: int | None = Field(default=None, ge=1, le=12)
    quiet_hours: QuietHoursIn | None = None


class ProviderIn(Body):
    provider_code: str | None = Field(description="null = Aucun")
    key: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200, description="write-only")
    option1: str | None = Field(default=None, max_length=200)
    option2: str | None = Field(default=None, max_length=200)
    ca_approved_on: date | None = Field(
        default=None, description="date the Conseil d'Administration approved the contract"
    )
    ca_reference: str | None = Field(default=None, max_length=100)


class ActionIn(Body):
    """Lengths and required fields are checked by the use case, with the seed's messages."""

    code: str | None = Field(default=None, max_length=200, description="Libellé court *")
    label: str | None = Field(default=None, max_length=1000, description="Libellé long *")
    response_delay_days: int | None = Field(
        default=1, ge=-100_000, le=100_000, description="Délai de réponse avant alerte * (jours)"
    )
    template: str | None = Field(
        default=None, max_length=5000, description="Modèle de document; empty: the default text"
    )
    contact_phone: str | None = Field(
        default=None, max_length=30, description="Émetteur; empty: the school's phone"
    )
    provider_account_code: int = Field(
        default=0, ge=-1000, le=1000, description="Code fournisseur de service"
    )
    active: bool = True


@router.put("/schools/{uai}")
async def put_school(
    uai: str,
    body: SchoolIn,
    principal: AcademiePrincipal,
    res: Res,
    cat: Catalog,
    policy: SchoolPolicy,
) -> Any:
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        _, school = await schools.save_school(
            conn, uai, body.model_dump(), cat, actor=principal.subject, policy=policy
        )
        return school


@router.get("/schools/{uai}")
async def get_school(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return schools.school_view(await schools.require_school(conn, uai.upper()))


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
        for e in operators.offered(cat)
    ]


async def _with_receipt_url(
    conn: Connection, uai: str, view: dict[str, Any], res: Res, cat: Catalog, settings: Settings
) -> dict[str, Any]:
    url = await providers.receipt_url(conn, uai, cat, res.box, settings.receipts_base_url)
    return {**view, "receipt_url": url}


@router.get("/schools/{uai}/provider")
async def get_provider(
    uai: str, _p: SchoolPrincipal, res: Res, cat: Catalog, settings: Settings
) -> Any:
    """The form's values (never the password) and the receipt URL to give the operator."""
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        view = await providers.provider_view(conn, uai)
        return await _with_receipt_url(conn, uai, view, res, cat, settings)


@router.get("/schools/{uai}/provider/health")
async def get_provider_health(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    """The dispatcher's latest word on the school's operator, for the staff banner."""
    async with school_tx(res, uai.upper()) as conn:
        return await providers.provider_health(conn, uai.upper())


@router.put("/schools/{uai}/provider")
async def put_provider(
    uai: str,
    body: ProviderIn,
    principal: SchoolPrincipal,
    res: Res,
    cat: Catalog,
    settings: Settings,
) -> Any:
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        view = await providers.save_provider(
            conn, uai, body.model_dump(), cat, res.box, actor=principal.subject
        )
        return await _with_receipt_url(conn, uai, view, res, cat, settings)


class ProviderTestIn(Body):
    """The form's values, tested before they are saved; omitted fields: the stored ones."""

    provider_code: str | None = Field(default=None, max_length=30)
    key: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200, description="write-only")
    option1: str | None = Field(default=None, max_length=200)
    option2: str | None = Field(default=None, max_length=200)


@router.post("/schools/{uai}/provider/test")
async def check_provider(
    uai: str,
    principal: SchoolPrincipal,
    res: Res,
    cat: Catalog,
    adapters: Adapters,
    body: ProviderTestIn | None = None,
) -> Any:
    """ "Tester": a real authenticated call to the operator (its account or credit request)."""
    uai = uai.upper()
    values = body.model_dump() if body is not None else {}
    async with school_tx(res, uai) as conn:
        prepared = await provider_check.prepare_check(conn, uai, values, cat, res.box)
    result = await provider_check.run_check(prepared, adapters)
    async with school_tx(res, uai) as conn:
        await provider_check.record_check(conn, uai, result, actor=principal.subject)
    return result


@router.post("/schools/{uai}/actions", status_code=201)
async def post_action(uai: str, body: ActionIn, principal: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.create_action(
            conn, uai.upper(), body.model_dump(), actor=principal.subject
        )


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
    uai: str, action_id: UUID, body: ActionIn, principal: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.update_action(
            conn, uai.upper(), action_id, body.model_dump(), actor=principal.subject
        )


@router.delete("/schools/{uai}/actions/{action_id}", status_code=204)
async def delete_action(uai: str, action_id: UUID, principal: SchoolPrincipal, res: Res) -> None:
    async with school_tx(res, uai.upper()) as conn:
        await directory.delete_action(conn, uai.upper(), action_id, actor=principal.subject)


@router.get("/schools/{uai}/audit")
async def get_audit(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        await schools.require_school(conn, uai.upper())
        total, items = await audit.page(conn, uai.upper(), page_size, (page - 1) * page_size)
    return {"count": total, "page": page, "page_size": page_size, "items": items}

"""The events REST API on pupils, absences and SMS.

Routes validate, open the school's transaction and call a use case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from events.app import absences, alerts, diffusion, sms_actions
from events.domain.errors import DomainError
from events.entrypoints.common import Body, Page, PageSize, Res, school_tx
from shared.auth.http import SchoolPrincipal

router = APIRouter(prefix="/api/v1")


class AbsenceIn(Body):
    pupil_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=100)
    reason_legitimate: bool = False
    observed: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("dates must carry a time zone offset")
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class AbsenceChangesIn(Body):
    """The fields to change; justifying is giving `evidence` or `reason_legitimate`."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=100)
    reason_legitimate: bool | None = None
    observed: bool | None = None

    @model_validator(mode="after")
    def _dates_given_with_offset(self) -> AbsenceChangesIn:
        for name in ("starts_at", "ends_at", "reason_legitimate", "observed"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may be omitted but not null")
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("dates must carry a time zone offset")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class SmsActionIn(Body):
    action_id: UUID
    recipient_ids: list[UUID] = Field(min_length=1, max_length=10)
    transliterate: bool = False


class SmsPreviewIn(Body):
    action_id: UUID
    recipient_ids: list[UUID] = Field(default_factory=list, max_length=10)
    transliterate: bool = False


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


def clock(request: Request) -> datetime:
    """Now; tests set `app.state.clock` to a function of their own to move time."""
    now: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return now() if now is not None else datetime.now(UTC)


Now = Annotated[datetime, Depends(clock)]


@router.post("/schools/{uai}/absences", status_code=201)
async def post_absence(uai: str, body: AbsenceIn, principal: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.record_absence(
            conn, uai.upper(), body.model_dump(), actor=principal.subject
        )


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


@router.patch("/schools/{uai}/absences/{absence_id}")
async def patch_absence(
    uai: str,
    absence_id: UUID,
    body: AbsenceChangesIn,
    principal: SchoolPrincipal,
    res: Res,
    now: Now,
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.edit_absence(
            conn, uai.upper(), absence_id, body.changes(), actor=principal.subject, now=now
        )


@router.delete("/schools/{uai}/absences/{absence_id}")
async def delete_absence(
    uai: str, absence_id: UUID, principal: SchoolPrincipal, res: Res, now: Now
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await absences.delete_absence(
            conn, uai.upper(), absence_id, actor=principal.subject, now=now
        )


@router.post("/schools/{uai}/absences/{absence_id}/sms/preview")
async def post_sms_preview(
    uai: str, absence_id: UUID, body: SmsPreviewIn, _p: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await sms_actions.preview_sms(
            conn,
            uai.upper(),
            absence_id,
            body.action_id,
            body.recipient_ids,
            transliterate=body.transliterate,
        )


@router.post("/schools/{uai}/absences/{absence_id}/sms", status_code=201)
async def post_sms_action(
    uai: str, absence_id: UUID, body: SmsActionIn, principal: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await sms_actions.add_sms_action(
            conn,
            uai.upper(),
            absence_id,
            body.action_id,
            body.recipient_ids,
            transliterate=body.transliterate,
            actor=principal.subject,
        )


@router.get("/schools/{uai}/sms/pending")
async def get_pending(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await diffusion.pending_page(conn, uai.upper(), page, page_size)


@router.post("/schools/{uai}/sms/diffuse")
async def post_diffuse(
    uai: str, body: DiffuseIn, principal: SchoolPrincipal, res: Res, now: Now
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        result = await diffusion.diffuse(
            conn, uai.upper(), None if body.all else body.ids, actor=principal.subject, now=now
        )
    res.relay.wake()
    return result


@router.post("/schools/{uai}/sms/delete")
async def post_delete(
    uai: str, body: DeleteIn, principal: SchoolPrincipal, res: Res, now: Now
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await diffusion.delete_pending(
            conn, uai.upper(), body.ids, actor=principal.subject, now=now
        )


@router.get("/schools/{uai}/alerts")
async def get_alerts(
    uai: str,
    _p: SchoolPrincipal,
    res: Res,
    now: Now,
    page: Page = 1,
    page_size: PageSize = 50,
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await alerts.alerts_page(conn, uai.upper(), now, page, page_size)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message, **exc.details}},
            status_code=exc.status,
        )


__all__ = ["install_error_handlers", "router"]

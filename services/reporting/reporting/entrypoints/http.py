"""The REST API of "Suivi des SMS": the tabs, the synthesis and "Mettre à jour".

Every route is about one school and takes `SchoolPrincipal`, which refuses (401/403) callers
without a token or without that school before anything is read. Answers never hold a phone number
(the read model does not keep any).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from reporting.app.listing import export_school_sms, list_school_sms
from reporting.app.refresh import request_refresh
from reporting.app.synthesis import school_synthesis
from reporting.domain.export import csv_file_name
from reporting.domain.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SmsFilter
from reporting.domain.presentation import count_message
from reporting.domain.synthesis import Synthesis
from reporting.domain.tracking import TAB_STATES, Tab
from reporting.entrypoints.errors import parse_query
from shared.auth.http import SchoolPrincipal
from shared.contracts import utc_now
from shared.runtime import Resources
from shared.states import SmsState

MAX_REFRESH_IDS = 1000

router = APIRouter(prefix="/api/v1/schools/{uai}/sms", tags=["suivi des SMS"])

Uai = Annotated[str, Path(pattern=r"^\d{7}[A-Za-z]$")]


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


# ---- "Suivi des SMS" -------------------------------------------------------------------------


class SmsFilterParams(BaseModel):
    """The tab and the filters of a list (the CSV export takes the same)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tab: Tab = Tab.IN_PROGRESS
    division: str | None = Field(default=None, max_length=40)
    pupil: str | None = Field(default=None, max_length=100)
    action: str | None = Field(default=None, max_length=100)
    state: SmsState | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SmsFilterParams:
        if self.state is not None and self.state not in TAB_STATES[self.tab]:
            raise ValueError(
                f"l'état « {self.state.value} » n'apparaît pas dans l'onglet « {self.tab.value} »"
            )
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("la date « from » est postérieure à la date « to »")
        return self

    def sms_filter(self) -> SmsFilter:
        return SmsFilter(
            tab=self.tab,
            state=self.state,
            division=self.division,
            pupil=self.pupil,
            action=self.action,
            diffused_from=self.from_,
            diffused_to=self.to,
        )


class SmsListParams(SmsFilterParams):
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


_OPTIONAL_FILTERS = frozenset({"division", "pupil", "action", "state", "from", "to"})


def list_params(request: Request) -> SmsListParams:
    return parse_query(request, SmsListParams, blank_is_absent=_OPTIONAL_FILTERS)


def export_params(request: Request) -> SmsFilterParams:
    return parse_query(request, SmsFilterParams, blank_is_absent=_OPTIONAL_FILTERS)


class Pagination(BaseModel):
    page: int
    page_size: int
    first: int
    last: int
    total: int
    pages: int
    label: str


class SmsItem(BaseModel):
    sms_id: UUID
    absence_id: UUID | None  # events' absence, for a link to its "Historique des actions"
    action: str
    pupil_name: str
    division: str | None
    event: str
    recipient: str | None
    state: SmsState
    state_label: str
    reason_code: str | None
    reason_message: str | None
    provider_message_id: str | None
    state_changed_at: datetime
    status_line: str
    # "à vérifier" or "envoyé, sans accusé": in progress, but no delivery state will come alone.
    mark: str | None


class SmsListResponse(BaseModel):
    count: int
    message: str
    pagination: Pagination
    items: list[SmsItem]


@router.get("")
async def list_sms(
    uai: Uai,
    principal: SchoolPrincipal,
    params: Annotated[SmsListParams, Depends(list_params)],
    request: Request,
) -> SmsListResponse:
    """One tab of "Suivi des SMS", newest diffusion first."""
    uai = uai.upper()
    result = await list_school_sms(
        _resources(request).pool,
        uai,
        params.sms_filter(),
        page=params.page,
        page_size=params.page_size,
    )
    w = result.window
    return SmsListResponse(
        count=w.total,
        message=count_message(w.total),
        pagination=Pagination(
            page=w.page,
            page_size=w.page_size,
            first=w.first,
            last=w.last,
            total=w.total,
            pages=w.pages,
            label=w.label,
        ),
        items=[
            SmsItem(
                sms_id=s.sms_id,
                absence_id=s.absence_id,
                action=s.action_label,
                pupil_name=s.pupil_name,
                division=s.division,
                event=s.event_label,
                recipient=s.recipient_role,
                state=s.state,
                state_label=s.state_label,
                reason_code=s.reason_code,
                reason_message=s.reason_message,
                provider_message_id=s.provider_message_id,
                state_changed_at=s.state_changed_at,
                status_line=s.status_line,
                mark=s.mark,
            )
            for s in result.items
        ],
    )


@router.get("/export", response_class=StreamingResponse)
async def export_sms(
    uai: Uai,
    principal: SchoolPrincipal,
    params: Annotated[SmsFilterParams, Depends(export_params)],
    request: Request,
) -> StreamingResponse:
    """The whole filtered list as CSV for a French spreadsheet (`;`, UTF-8 with BOM, CRLF,
    dates dd/mm/yyyy), in the order of the pages."""
    uai = uai.upper()
    chunks = export_school_sms(_resources(request).pool, uai, params.sms_filter())
    name = csv_file_name(uai, params.tab.value)
    return StreamingResponse(
        (chunk.encode("utf-8") async for chunk in chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---- "Synthèse SMS" --------------------------------------------------------------------------


class SynthesisParams(BaseModel):
    """`school_year=2011`: the school year starting in 2011 (the default: the current one);
    `calendar_year=2011`: January to December 2011 instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    school_year: int | None = Field(default=None, ge=2000, le=2100)
    calendar_year: int | None = Field(default=None, ge=2000, le=2100)

    @model_validator(mode="after")
    def _one_period(self) -> SynthesisParams:
        if self.school_year is not None and self.calendar_year is not None:
            raise ValueError("donner « school_year » ou « calendar_year », pas les deux")
        return self


def synthesis_params(request: Request) -> SynthesisParams:
    return parse_query(
        request, SynthesisParams, blank_is_absent=frozenset({"school_year", "calendar_year"})
    )


class SynthesisRow(BaseModel):
    action: str
    action_code: str
    month: str
    month_label: str
    delivered: int
    total: int


class SynthesisTotal(BaseModel):
    label: str
    delivered: int
    total: int


class SynthesisMonth(SynthesisTotal):
    month: str


class SynthesisResponse(BaseModel):
    school_year: int  # the year the period starts in
    period: str  # "school_year" or "calendar_year"
    label: str
    start_month: int
    rows: list[SynthesisRow]
    months: list[SynthesisMonth]
    year: SynthesisTotal


def synthesis_response(s: Synthesis, *, calendar: bool) -> SynthesisResponse:
    return SynthesisResponse(
        school_year=s.school_year.start_year,
        period="calendar_year" if calendar else "school_year",
        label=s.school_year.label,
        start_month=s.school_year.start_month,
        rows=[
            SynthesisRow(
                action=r.label,
                action_code=r.action_code or "",
                month=r.month_key or "",
                month_label=r.month_label or "",
                delivered=r.delivered,
                total=r.total,
            )
            for r in s.rows
        ],
        months=[
            SynthesisMonth(
                month=m.month_key or "", label=m.label, delivered=m.delivered, total=m.total
            )
            for m in s.months
        ],
        year=SynthesisTotal(label=s.year.label, delivered=s.year.delivered, total=s.year.total),
    )


@router.get("/synthesis")
async def sms_synthesis(
    uai: Uai,
    principal: SchoolPrincipal,
    params: Annotated[SynthesisParams, Depends(synthesis_params)],
    request: Request,
) -> SynthesisResponse:
    """Delivered and total SMS per action and month of a school year (default: the current one)
    or of a calendar year."""
    uai = uai.upper()
    s = await school_synthesis(
        _resources(request).pool,
        uai,
        params.school_year,
        year=params.calendar_year,
        now=utc_now(),
    )
    return synthesis_response(s, calendar=params.calendar_year is not None)


# ---- "Mettre à jour" -------------------------------------------------------------------------


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sms_ids: list[UUID] = Field(default_factory=list, max_length=MAX_REFRESH_IDS)


class RefreshResponse(BaseModel):
    requested: int


@router.post("/refresh", status_code=status.HTTP_202_ACCEPTED)
async def refresh_sms(
    uai: Uai,
    principal: SchoolPrincipal,
    request: Request,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> RefreshResponse:
    """Ask for the delivery state of these SMS (or of all the school's SMS in transit) now."""
    uai = uai.upper()
    resources = _resources(request)
    count = await request_refresh(
        resources.pool,
        uai,
        body.sms_ids if body is not None else [],
        requested_by=principal.subject,
        now=utc_now(),
    )
    resources.relay.wake()
    return RefreshResponse(requested=count)

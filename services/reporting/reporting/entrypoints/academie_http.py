"""The académie's "Synthèse SMS": every school together, and each school by volume.

Only the académie administrator role may call it (`AcademiePrincipal`); a school reads its own
synthesis through the school route, which the académie may also call for any school.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from reporting.app.synthesis import academie_synthesis
from reporting.domain.synthesis import SchoolVolume
from reporting.entrypoints.http import (
    SynthesisParams,
    SynthesisResponse,
    synthesis_params,
    synthesis_response,
)
from shared.auth.http import AcademiePrincipal
from shared.contracts import utc_now
from shared.runtime import Resources

academie_router = APIRouter(prefix="/api/v1/academie/sms", tags=["synthèse académique"])


class SchoolLine(BaseModel):
    uai: str
    delivered: int
    total: int
    delivery_rate: float | None  # delivered / total, 0 to 1
    delivery_rate_label: str  # "66,7 %"


class AcademieSynthesisResponse(SynthesisResponse):
    schools: list[SchoolLine]  # largest volume first


def rate_label(rate: float | None) -> str:
    """ "66,7 %" (French decimal comma), "-" when nothing was sent."""
    if rate is None:
        return "-"
    return f"{rate * 100:.1f} %".replace(".", ",")


def _school_line(school: SchoolVolume) -> SchoolLine:
    rate = school.delivery_rate
    return SchoolLine(
        uai=school.uai,
        delivered=school.delivered,
        total=school.total,
        delivery_rate=round(rate, 4) if rate is not None else None,
        delivery_rate_label=rate_label(rate),
    )


@academie_router.get("/synthesis")
async def academie_sms_synthesis(
    principal: AcademiePrincipal,
    params: Annotated[SynthesisParams, Depends(synthesis_params)],
    request: Request,
) -> AcademieSynthesisResponse:
    """The synthesis of every school of the académie, then each school sorted by volume."""
    resources: Resources = request.app.state.resources
    result = await academie_synthesis(
        resources.pool, params.school_year, year=params.calendar_year, now=utc_now()
    )
    common = synthesis_response(result.synthesis, calendar=params.calendar_year is not None)
    return AcademieSynthesisResponse(
        **common.model_dump(), schools=[_school_line(s) for s in result.schools]
    )

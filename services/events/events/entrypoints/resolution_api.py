"""HTTP routes of the SMS "à vérifier": the list, and staff's decision (resend or keep as sent)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import Field

from events.app import resolution
from events.entrypoints.common import Body, Page, PageSize, Res, school_tx
from shared.auth.http import SchoolPrincipal

router = APIRouter(prefix="/api/v1", tags=["sms"])


class ResolveIn(Body):
    sms_ids: list[UUID] = Field(min_length=1, max_length=500)
    decision: Literal["resend", "keep_as_sent"] = Field(
        description="resend: « Renvoyer »; keep_as_sent: « Considérer comme envoyé »"
    )


@router.get("/schools/{uai}/sms/unconfirmed")
async def get_unconfirmed(
    uai: str, _p: SchoolPrincipal, res: Res, page: Page = 1, page_size: PageSize = 50
) -> Any:
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        found = await resolution.unconfirmed_page(conn, uai, page_size, (page - 1) * page_size)
    return {**found, "page": page, "page_size": page_size}


@router.post("/schools/{uai}/sms/resolve")
async def post_resolve(uai: str, body: ResolveIn, principal: SchoolPrincipal, res: Res) -> Any:
    uai = uai.upper()
    async with school_tx(res, uai) as conn:
        answer = await resolution.resolve(
            conn, uai, body.sms_ids, body.decision, actor=principal.subject
        )
    res.relay.wake()
    return answer

"""Routes of the public API, ``/api/v1``, all behind HTTP Basic auth."""

# No `from __future__ import annotations` here: FastAPI must evaluate the route annotations, and
# `Session` is local to `public_router`.

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from operator_simulator import service
from operator_simulator.access import AccountSession, session_dependency
from operator_simulator.phone import mask
from operator_simulator.receipts import ReceiptSender
from operator_simulator.request_log import annotate
from operator_simulator.schemas import (
    CreditResponse,
    LookupResponse,
    StatusesRequest,
    StatusesResponse,
    SubmitRequest,
    SubmitResponse,
)
from operator_simulator.state import Simulator

_LOGGED_NUMBERS = 10


def public_router(simulator: Simulator, receipts: ReceiptSender) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    Session = Annotated[AccountSession, Depends(session_dependency(simulator))]

    @router.post("/messages")
    async def send_messages(
        request: Request, session: Session, body: SubmitRequest
    ) -> SubmitResponse:
        results = await service.submit_messages(simulator, receipts, session, body)
        annotate(
            request,
            messages=len(results),
            accepted=sum(result.status == "accepted" for result in results),
            to=[mask(message.to) for message in body.messages[:_LOGGED_NUMBERS]],
        )
        return SubmitResponse(results=results)

    @router.post("/statuses")
    async def get_statuses(session: Session, body: StatusesRequest) -> StatusesResponse:
        return StatusesResponse(statuses=await service.message_statuses(simulator, session, body))

    @router.get("/messages")
    async def find_message(
        session: Session, client_ref: Annotated[str, Query(max_length=64)]
    ) -> LookupResponse:
        return LookupResponse(
            message=await service.find_by_client_ref(simulator, session, client_ref)
        )

    @router.get("/credit")
    async def get_credit(session: Session) -> CreditResponse:
        return CreditResponse(credit=session.config.credit)

    return router

"""The delivery-receipt webhook: `POST /api/v1/receipts/{dialect}/{uai}/{secret}`.

It takes no token: operators authenticate with the school's receipt secret (in the URL, or as a
signature for the dialects that sign). The path holds that secret, so nothing here logs the path
(the process runs without an access log) and errors name no part of it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from shared.operators.base import InboundReceipt
from status_poller.app.receipts import REFUSED, ReceiptCall, ReceiptDesk

#: Where the composition root leaves the desk in the runtime's resources.
RECEIPTS_KEY = "status_poller.receipts"
# Longer path segments are no dialect, school or secret of ours.
_MAX_SEGMENT = 200

router = APIRouter(prefix="/api/v1/receipts", tags=["accusés de réception"])


@router.post("/{dialect}/{uai}/{secret}", include_in_schema=False)
async def receive_receipt(request: Request, dialect: str, uai: str, secret: str) -> Response:
    desk: ReceiptDesk = request.app.state.resources.extras[RECEIPTS_KEY]
    if max(len(dialect), len(uai), len(secret)) > _MAX_SEGMENT:
        return _response(REFUSED.status_code, REFUSED.body, REFUSED.media_type)
    receipt = InboundReceipt(
        method=request.method,
        content_type=request.headers.get("content-type"),
        query=dict(request.query_params),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=await request.body(),
    )
    source = request.client.host if request.client is not None else None
    answer = await desk.receive(ReceiptCall(dialect, uai, secret, source, receipt))
    return _response(answer.status_code, answer.body, answer.media_type)


def _response(status_code: int, body: str, media_type: str) -> Response:
    return Response(content=body, status_code=status_code, media_type=media_type)

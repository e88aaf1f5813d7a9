"""What the public API does, one function per request kind."""

from __future__ import annotations

from operator_simulator.access import AccountSession
from operator_simulator.errors import ApiError
from operator_simulator.lifecycle import NewMessage, iso_utc, state_at
from operator_simulator.phone import is_e164
from operator_simulator.receipts import ReceiptSender, Webhook
from operator_simulator.schemas import (
    MAX_STATUS_IDS,
    FoundMessage,
    MessageStatus,
    StatusesRequest,
    SubmitRequest,
    SubmitResult,
)
from operator_simulator.segments import count_segments
from operator_simulator.state import Simulator


async def submit_messages(
    simulator: Simulator, receipts: ReceiptSender, session: AccountSession, request: SubmitRequest
) -> list[SubmitResult]:
    """Accept or reject each message, in input order; accepted ones get ids and, maybe, receipts."""
    config = session.config
    if len(request.messages) > config.max_batch:
        raise ApiError(413, "batch_too_large", max=config.max_batch)
    segments = [count_segments(message.text) for message in request.messages]
    to_accept: dict[int, NewMessage] = {}
    for index, message in enumerate(request.messages):
        outcome = config.outcome_for(message.to) if is_e164(message.to) else "invalid"
        if outcome == "delivered" or outcome == "undelivered":
            to_accept[index] = NewMessage(
                account=session.account,
                client_ref=message.client_ref,
                to=message.to,
                text=message.text,
                sender=request.sender,
                segments=segments[index],
                outcome=outcome,
                delivery_delay_s=config.delivery_delay_s,
                received={
                    "to": message.to,
                    "text": message.text,
                    "client_ref": message.client_ref,
                    "sender": request.sender,
                },
            )
    stored = await simulator.accept(list(to_accept.values()))
    ids = dict(zip(to_accept, (m.message_id for m in stored), strict=True))
    if config.webhook_url:
        webhook = Webhook(config.webhook_url, config.webhook_secret)
        for accepted in stored:
            receipts.schedule(accepted, webhook)
    return [
        SubmitResult(
            client_ref=message.client_ref,
            message_id=ids.get(index),
            status="accepted" if index in ids else "rejected",
            error=None if index in ids else "invalid_number",
            segments=segments[index],
        )
        for index, message in enumerate(request.messages)
    ]


async def message_statuses(
    simulator: Simulator, session: AccountSession, request: StatusesRequest
) -> list[MessageStatus]:
    """Current state of each id, in request order; ids the account does not own are unknown."""
    if len(request.message_ids) > MAX_STATUS_IDS:
        raise ApiError(413, "batch_too_large", max=MAX_STATUS_IDS)
    owned = await simulator.owned(session.account, request.message_ids)
    now = simulator.clock()
    statuses = []
    for message_id in request.message_ids:
        message = owned.get(message_id)
        if message is None:
            statuses.append(
                MessageStatus(
                    message_id=message_id,
                    client_ref=None,
                    status="unknown",
                    code=None,
                    updated_at=iso_utc(now),
                )
            )
            continue
        state = state_at(message, now)
        statuses.append(
            MessageStatus(
                message_id=message_id,
                client_ref=message.client_ref,
                status=state.status,
                code=state.code,
                updated_at=state.updated_at,
            )
        )
    return statuses


async def find_by_client_ref(
    simulator: Simulator, session: AccountSession, client_ref: str
) -> FoundMessage:
    """The account's latest accepted message with this reference (rejected ones are not kept)."""
    message = await simulator.latest_with_client_ref(session.account, client_ref)
    if message is None:
        raise ApiError(404, "not_found")
    state = state_at(message, simulator.clock())
    return FoundMessage(
        message_id=message.message_id,
        client_ref=client_ref,
        to=message.content.to,
        status=state.status,
        code=state.code,
        updated_at=state.updated_at,
    )

"""Bodies of the public API (``/api/v1``). Unknown fields are refused, to catch client typos."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from operator_simulator.lifecycle import Code, Status

MAX_STATUS_IDS = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutgoingMessage(_Strict):
    to: str
    text: str = Field(min_length=1)
    client_ref: str = Field(max_length=64)


class SubmitRequest(_Strict):
    sender: str | None = None
    messages: list[OutgoingMessage]


class SubmitResult(BaseModel):
    client_ref: str
    message_id: str | None
    status: Literal["accepted", "rejected"]
    error: Literal["invalid_number"] | None
    segments: int


class SubmitResponse(BaseModel):
    results: list[SubmitResult]


class StatusesRequest(_Strict):
    message_ids: list[str]


class MessageStatus(BaseModel):
    message_id: str
    client_ref: str | None
    status: Status | Literal["unknown"]
    code: Code | None
    updated_at: str


class StatusesResponse(BaseModel):
    statuses: list[MessageStatus]


class FoundMessage(BaseModel):
    message_id: str
    client_ref: str
    to: str
    status: Status
    code: Code
    updated_at: str


class LookupResponse(BaseModel):
    message: FoundMessage


class CreditResponse(BaseModel):
    credit: int

"""Builders of the messages reporting reads, and helpers to apply them and to read back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg

from reporting.entrypoints.consumers import (
    on_sms_rejected,
    on_sms_requested,
    on_sms_status,
    on_sms_submitted,
)
from reporting.settings import ReportingSettings
from shared.auth import Role, TokenService
from shared.contracts import (
    Envelope,
    SmsRejectedV1,
    SmsRequestedV1,
    SmsStatusV1,
    SmsSubmittedV1,
    load_example,
)
from shared.contracts.topics import SMS_REJECTED, SMS_REQUESTED, SMS_STATUS, SMS_SUBMITTED
from shared.db.pool import set_tenant_scope

UAI = "0750001A"
OTHER_UAI = "0750002B"
# 13/09/2011 15:44 in Paris (summer time, UTC+2), as in the seed's first line.
DIFFUSED = datetime(2011, 9, 13, 13, 44, tzinfo=UTC)

E = TypeVar("E", bound=Envelope)


def _from_example(model: type[E], topic: str, **changes: Any) -> E:
    data = load_example(topic).model_dump(by_alias=True)
    data.update(message_id=uuid4(), **changes)
    return model.model_validate(data)


def requested(sms_id: UUID | None = None, **changes: Any) -> SmsRequestedV1:
    values: dict[str, Any] = {
        "sms_id": sms_id or uuid4(),
        "uai": UAI,
        "diffused_at": DIFFUSED,
        "action_code": "SMS1",
        "action_label": "SMS",
        "pupil_name": "MARTIN Lucas",
        "division": "4B",
        "event_label": "Absence Du 13/09/11 Au 13/09/11",
        "recipient_role": "Légal 1 - Financier",
        "time_zone": "Europe/Paris",
        "school_year_start_month": 9,
    }
    values.update(changes)
    return _from_example(SmsRequestedV1, SMS_REQUESTED, **values)


def submitted(sms_id: UUID, **changes: Any) -> SmsSubmittedV1:
    values: dict[str, Any] = {
        "sms_id": sms_id,
        "uai": UAI,
        "state": "in_transit",
        "provider_message_id": "719573",
        "submitted_at": DIFFUSED + timedelta(seconds=20),
        "action_code": "SMS1",
    }
    values.update(changes)
    return _from_example(SmsSubmittedV1, SMS_SUBMITTED, **values)


def rejected(sms_id: UUID, **changes: Any) -> SmsRejectedV1:
    values: dict[str, Any] = {
        "sms_id": sms_id,
        "uai": UAI,
        "state": "invalid",
        "reason_code": "invalid_number",
        "rejected_at": DIFFUSED + timedelta(seconds=20),
        "action_code": "SMS1",
    }
    values.update(changes)
    return _from_example(SmsRejectedV1, SMS_REJECTED, **values)


def status(sms_id: UUID, state: str, **changes: Any) -> SmsStatusV1:
    values: dict[str, Any] = {
        "sms_id": sms_id,
        "uai": UAI,
        "state": state,
        "label_fr": state,
        "provider_message_id": "719573",
        "operator_code": None,
        "changed_at": DIFFUSED + timedelta(minutes=5),
        "action_code": "SMS1",
        "own_verdict": False,
    }
    values.update(changes)
    return _from_example(SmsStatusV1, SMS_STATUS, **values)


HANDLERS: dict[type[Envelope], Callable[..., Any]] = {
    SmsRequestedV1: on_sms_requested,
    SmsSubmittedV1: on_sms_submitted,
    SmsRejectedV1: on_sms_rejected,
    SmsStatusV1: on_sms_status,
}


async def apply(pool: asyncpg.Pool[Any], messages: Sequence[Envelope]) -> None:
    """Apply a batch the way the consumer does: one transaction scoped to the batch's schools,
    each topic's messages handed to its handler (without the inbox: these are replays that got
    past it, e.g. republished with new message ids)."""
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant_scope(conn, {m.uai for m in messages})
        by_type: dict[type[Envelope], list[Envelope]] = {}
        for message in messages:
            by_type.setdefault(type(message), []).append(message)
        for kind, batch in by_type.items():
            await HANDLERS[kind](conn, batch)


async def scoped_fetch(
    pool: asyncpg.Pool[Any], sql: str, *args: Any, uais: Sequence[str] = (UAI, OTHER_UAI)
) -> list[asyncpg.Record]:
    """Rows read by the service's role, declaring `uais` (row-level security applies)."""
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant_scope(conn, set(uais))
        return list(await conn.fetch(sql, *args))


def token(
    settings: ReportingSettings, role: Role = Role.STAFF, uais: Sequence[str] = (UAI,)
) -> str:
    return TokenService(settings.token_signing_key.get_secret_value()).mint("cpe", role, uais)


@dataclass
class Seeded:
    in_transit: UUID
    delivered: UUID
    invalid: UUID
    queued: UUID
    sent_unconfirmed: UUID
    unconfirmed: UUID
    other_school: UUID
    status_only: UUID


def day(n: int) -> datetime:
    """13/09/2011 15:44 in Paris, `n` days later."""
    return DIFFUSED + timedelta(days=n)


async def seed(pool: asyncpg.Pool[Any]) -> Seeded:
    s = Seeded(*(uuid4() for _ in range(8)))
    await apply(
        pool,
        [
            requested(s.in_transit, diffused_at=day(0)),
            submitted(s.in_transit, submitted_at=day(0) + timedelta(seconds=20)),
            requested(s.delivered, diffused_at=day(-1), pupil_name="LEFÈVRE Éloïse", division="3A"),
            status(s.delivered, "delivered", provider_message_id="716578", changed_at=day(-1)),
            requested(s.invalid, diffused_at=day(1), pupil_name="DURAND Paul"),
            rejected(s.invalid, rejected_at=day(1)),
            requested(s.queued, diffused_at=day(2), action_code="SMS2", action_label="SMS relance"),
            requested(s.sent_unconfirmed, diffused_at=day(3)),
            status(s.sent_unconfirmed, "sent_unconfirmed", own_verdict=True, changed_at=day(3)),
            requested(s.unconfirmed, diffused_at=day(4)),
            submitted(
                s.unconfirmed, state="unconfirmed", provider_message_id=None, submitted_at=day(4)
            ),
            requested(s.other_school, uai=OTHER_UAI, pupil_name="SECRET Autre", division="SECRET"),
            status(s.other_school, "delivered", uai=OTHER_UAI),
            status(s.status_only, "in_transit"),
        ],
    )
    return s

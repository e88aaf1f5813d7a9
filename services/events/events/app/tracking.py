"""Keeping each SMS's state current from the dispatcher's and the status-poller's messages, so
that an absence's "Historique des actions" shows where its SMS are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from events.adapters import sms as repo
from shared.contracts import SmsRejectedV1, SmsStatusV1, SmsSubmittedV1
from shared.db.types import Connection
from shared.states import SmsState, may_replace


async def on_sms_submitted(conn: Connection, messages: Sequence[SmsSubmittedV1]) -> None:
    await _apply(
        conn,
        [
            (
                m.uai,
                m.sms_id,
                SmsState(m.state),
                False,
                None,
                None,
                m.provider_message_id,
                m.submitted_at,
            )
            for m in messages
        ],
    )


async def on_sms_rejected(conn: Connection, messages: Sequence[SmsRejectedV1]) -> None:
    await _apply(
        conn,
        [
            (
                m.uai,
                m.sms_id,
                SmsState(m.state),
                False,
                m.reason_code,
                m.message_fr,
                None,
                m.rejected_at,
            )
            for m in messages
        ],
    )


async def on_sms_status(conn: Connection, messages: Sequence[SmsStatusV1]) -> None:
    await _apply(
        conn,
        [
            (
                m.uai,
                m.sms_id,
                SmsState(m.state),
                m.own_verdict,
                m.reason_code,
                None,
                m.provider_message_id,
                m.changed_at,
            )
            for m in messages
        ],
    )


Fact = tuple[str, UUID, SmsState, bool, str | None, str | None, str | None, datetime]


async def _apply(conn: Connection, facts: Sequence[Fact]) -> None:
    """Apply the facts that move each SMS forward (in arrival order within the batch)."""
    current = await repo.current_states(conn, sorted({f[0] for f in facts}), [f[1] for f in facts])
    changes: dict[UUID, tuple[Any, ...]] = {}
    for uai, sms_id, state, own, reason, message, provider_id, at in facts:
        row = current.get(sms_id)
        if row is None or row["uai"] != uai:
            continue  # not one of ours (or already purged): nothing to show
        if not may_replace(SmsState(row["state"]), row["own_verdict"], state, own):
            continue
        row["state"], row["own_verdict"] = state.value, own
        changes[sms_id] = (uai, sms_id, state.value, own, reason, message, provider_id, at)
    if changes:
        await repo.apply_states(conn, list(changes.values()))

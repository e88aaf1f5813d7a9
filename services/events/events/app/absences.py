"""Use cases of the seed's step 3 ("Saisie d'un évènement"): record an absence, edit, justify or
delete it, and show it with its "Historique des actions".

A pending SMS whose absence becomes justified, or is deleted, is cancelled ("annulé") in the same
transaction: families who already called the school are not texted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from events.adapters import absences as repo
from events.adapters import audit
from events.adapters import sms as sms_repo
from events.app import diffusion, sms_actions
from events.app.schools import require_school
from events.domain.absences import (
    CANCELLED_DELETED,
    CANCELLED_JUSTIFIED,
    UNKNOWN_ABSENCE,
    check_period,
    clean_label,
    is_justified,
)
from events.domain.errors import DomainError, NotFound
from events.domain.texts import compose, event_label, facts_of
from shared.db.types import Connection
from shared.states import SmsState

# Who the audit trail names when a caller gives no one (the web pages before they pass their user).
WEB_ACTOR = "interface web"
UNKNOWN_PUPIL = ("unknown_pupil", "Élève inconnu.")


async def record_absence(
    conn: Connection, uai: str, values: dict[str, Any], *, actor: str = WEB_ACTOR
) -> dict[str, Any]:
    """Record an absence of a pupil of the school."""
    await require_school(conn, uai)
    retired = await repo.pupil_retired(conn, uai, values["pupil_id"])
    if retired is None:
        raise NotFound(*UNKNOWN_PUPIL)
    if retired:
        raise DomainError(
            "pupil_retired",
            "Cet élève a quitté l'établissement : aucune absence ne peut plus lui être saisie.",
        )
    check_period(values["starts_at"], values["ends_at"])
    values = {
        **values,
        "reason": clean_label(values.get("reason")),
        "evidence": clean_label(values.get("evidence")),
    }
    absence_id = uuid4()
    await repo.insert_absence(conn, uai, absence_id, values, actor)
    await audit.insert(
        conn,
        [(uai, actor, "absence.created", {"id": absence_id, **_audited(values)})],
    )
    return await get_absence(conn, uai, absence_id)


async def edit_absence(
    conn: Connection,
    uai: str,
    absence_id: UUID,
    changes: dict[str, Any],
    *,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Change some fields of an absence (justifying it is recording a justificatif or a
    legitimate motif). Pending SMS are cancelled once it is justified, and otherwise take the
    new text (the dates may have changed)."""
    school = await require_school(conn, uai)
    before = await repo.get_absence(conn, uai, absence_id, lock=True)
    if before is None:
        raise NotFound(*UNKNOWN_ABSENCE)
    after = {f: before[f] for f in repo.EDITABLE}
    after.update(changes)
    after["reason"] = clean_label(after["reason"])
    after["evidence"] = clean_label(after["evidence"])
    check_period(after["starts_at"], after["ends_at"])
    diff = {
        f: {"before": before[f], "after": after[f]} for f in repo.EDITABLE if before[f] != after[f]
    }
    if not diff:
        return await get_absence(conn, uai, absence_id)
    await repo.update_absence(conn, uai, absence_id, after)
    entries = [(uai, actor, "absence.updated", {"id": absence_id, "changes": diff})]
    if is_justified(after):
        cancelled = await _cancel_pending(conn, uai, absence_id, CANCELLED_JUSTIFIED, now)
        entries += _cancel_entries(uai, actor, cancelled, CANCELLED_JUSTIFIED[0])
    else:
        await rerender_pending(conn, school, absence_id)
    await audit.insert(conn, entries)
    return await get_absence(conn, uai, absence_id)


async def delete_absence(
    conn: Connection, uai: str, absence_id: UUID, *, actor: str, now: datetime
) -> dict[str, Any]:
    """Delete an absence; its pending SMS are cancelled, the SMS that left keep their history."""
    await require_school(conn, uai)
    if await repo.get_absence(conn, uai, absence_id, lock=True) is None:
        raise NotFound(*UNKNOWN_ABSENCE)
    cancelled = await _cancel_pending(conn, uai, absence_id, CANCELLED_DELETED, now)
    await repo.mark_deleted(conn, uai, absence_id, actor, now)
    await audit.insert(
        conn,
        [
            (uai, actor, "absence.deleted", {"id": absence_id}),
            *_cancel_entries(uai, actor, cancelled, CANCELLED_DELETED[0]),
        ],
    )
    return {"deleted": str(absence_id), "cancelled_sms": [str(i) for i in cancelled]}


async def _cancel_pending(
    conn: Connection, uai: str, absence_id: UUID, why: tuple[str, str], now: datetime
) -> list[UUID]:
    rows = await sms_repo.lock_pending(conn, uai, None, absence_id=absence_id)
    return await sms_repo.close_pending(
        conn, uai, SmsState.CANCELLED.value, [(r["id"], *why) for r in rows], now
    )


def _cancel_entries(
    uai: str, actor: str, ids: list[UUID], reason_code: str
) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(uai, actor, "sms.cancelled", {"id": i, "reason": reason_code}) for i in ids]


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    return {f: values.get(f) for f in ("pupil_id", *repo.EDITABLE)}


async def rerender_pending(conn: Connection, school: dict[str, Any], absence_id: UUID) -> None:
    """Give the absence's pending SMS the text they now render to."""
    uai = school["uai"]
    rows = await sms_repo.lock_pending(conn, uai, None, absence_id=absence_id)
    updates = []
    for row in rows:
        composed = compose(
            row["template"],
            facts_of(school, row),
            row["contact_phone"],
            transliterate=row["transliterated"],
        )
        if composed.text != row["text"]:
            updates.append(
                {
                    "id": row["id"],
                    "text": composed.text,
                    "encoding": composed.info.encoding,
                    "segments": composed.info.segments,
                }
            )
    if updates:
        await sms_repo.update_texts(conn, uai, updates)


async def get_absence(conn: Connection, uai: str, absence_id: UUID) -> dict[str, Any]:
    """The absence with its "Historique des actions" (each SMS with its current state)."""
    school = await require_school(conn, uai)
    absence = await repo.get_absence(conn, uai, absence_id)
    if absence is None:
        raise NotFound(*UNKNOWN_ABSENCE)
    history = [
        history_line(sms, school["time_zone"])
        for sms in await sms_repo.of_absence(conn, uai, absence_id)
    ]
    return {**_absence_view(absence, school["time_zone"]), "history": history}


async def list_absences(
    conn: Connection, uai: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    school = await require_school(conn, uai)
    return [
        _absence_view(a, school["time_zone"])
        for a in await repo.list_absences(conn, uai, limit, offset)
    ]


def _absence_view(absence: dict[str, Any], time_zone: str) -> dict[str, Any]:
    return {
        "id": absence["id"],
        "pupil_id": absence["pupil_id"],
        "pupil_name": f"{absence['last_name']} {absence['first_name']}",
        "division": absence["division"],
        "starts_at": absence["starts_at"],
        "ends_at": absence["ends_at"],
        "reason": absence["reason"],
        "evidence": absence["evidence"],
        "reason_legitimate": absence["reason_legitimate"],
        "observed": absence["observed"],
        "justified": is_justified(absence),
        "label": event_label(absence["starts_at"], absence["ends_at"], time_zone),
    }


def history_line(sms: dict[str, Any], time_zone: str) -> dict[str, Any]:
    """ "SMS - Légal 1 - Financier - 23/09/2011 - délivré": the action, the recipient, the day
    the SMS left (or was made, while it waits) in the school's time zone, its current state."""
    state = SmsState(sms["state"])
    day = (sms["diffused_at"] or sms["created_at"]).astimezone(ZoneInfo(time_zone))
    changed = sms["state_changed_at"].astimezone(ZoneInfo(time_zone))
    return {
        "sms_id": sms["id"],
        "action": sms["action_code"],
        "recipient": sms["recipient_role"],
        "state": state.value,
        "state_label": state.label_fr,
        "state_changed_at": f"{changed:%d/%m/%Y à %H:%M}",
        "reason_code": sms["reason_code"],
        "reason_message": sms["reason_message"],
        "line": " - ".join(
            (sms["action_code"], sms["recipient_role"], f"{day:%d/%m/%Y}", state.label_fr)
        ),
    }


# The web pages' entry points into the SMS queue (see events.app.sms_actions and
# events.app.diffusion for the use cases themselves).


async def add_sms_action(
    conn: Connection,
    uai: str,
    absence_id: UUID,
    action_id: UUID,
    recipient_ids: Sequence[UUID],
    *,
    transliterate: bool = False,
    actor: str = WEB_ACTOR,
) -> dict[str, Any]:
    return await sms_actions.add_sms_action(
        conn, uai, absence_id, action_id, recipient_ids, transliterate=transliterate, actor=actor
    )


async def pending_page(conn: Connection, uai: str, page: int, page_size: int) -> dict[str, Any]:
    return await diffusion.pending_page(conn, uai, page, page_size)


async def diffuse(
    conn: Connection, uai: str, ids: Sequence[UUID] | None, diffused_by: str
) -> dict[str, Any]:
    return await diffusion.diffuse(conn, uai, ids, actor=diffused_by, now=datetime.now(UTC))


async def delete_pending(
    conn: Connection, uai: str, ids: Sequence[UUID], *, actor: str = WEB_ACTOR
) -> dict[str, Any]:
    return await diffusion.delete_pending(conn, uai, ids, actor=actor, now=datetime.now(UTC))

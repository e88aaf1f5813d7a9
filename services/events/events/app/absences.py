"""Use cases of the seed's steps 3 and 4: record an absence, add an SMS action for chosen
recipients, list the SMS waiting ("SMS à diffuser"), diffuse or delete them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from events.adapters import absences as repo
from events.adapters import directory
from events.app.directory import eligible, get_action, get_pupil, ineligible_reason
from events.app.schools import PRODUCER, require_enabled, require_school
from events.domain.errors import DomainError, NotFound
from events.domain.phones import mask
from events.domain.texts import AbsenceFacts, event_label, render
from shared.contracts import SmsRequestedV1
from shared.db.outbox import enqueue
from shared.db.types import Connection
from shared.sms_text import analyse
from shared.states import SmsState


async def record_absence(conn: Connection, uai: str, values: dict[str, Any]) -> dict[str, Any]:
    await require_school(conn, uai)
    await get_pupil(conn, uai, values["pupil_id"])
    absence_id = uuid4()
    await repo.insert_absence(conn, uai, absence_id, values)
    return await get_absence(conn, uai, absence_id)


async def get_absence(conn: Connection, uai: str, absence_id: UUID) -> dict[str, Any]:
    """The absence with its "Historique des actions" (each SMS with its current state)."""
    school = await require_school(conn, uai)
    absence = await repo.get_absence(conn, uai, absence_id)
    if absence is None:
        raise NotFound("unknown_absence", "Absence inconnue.")
    history = [
        history_line(sms, school["time_zone"])
        for sms in await repo.sms_of_absence(conn, uai, absence_id)
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
        "observed": absence["observed"],
        "label": event_label(absence["starts_at"], absence["ends_at"], time_zone),
    }


def history_line(sms: dict[str, Any], time_zone: str) -> dict[str, Any]:
    """ "SMS - Légal 1 - Financier - 23/09/2011 - délivré"."""
    state = SmsState(sms["state"])
    when = sms["state_changed_at"].astimezone(ZoneInfo(time_zone))
    return {
        "sms_id": sms["id"],
        "action": sms["action_code"],
        "recipient": sms["recipient_role"],
        "state": state.value,
        "state_label": state.label_fr,
        "reason_code": sms["reason_code"],
        "reason_message": sms["reason_message"],
        "line": " - ".join(
            (sms["action_code"], sms["recipient_role"], f"{when:%d/%m/%Y}", state.label_fr)
        ),
    }


async def add_sms_action(
    conn: Connection, uai: str, absence_id: UUID, action_id: UUID, recipient_ids: Sequence[UUID]
) -> dict[str, Any]:
    """Make the pending SMS of an action for the chosen recipients of the absence's pupil.

    Every chosen recipient must be eligible (mobile + "accepte les SMS"), else nothing is made and
    the answer lists each refusal. Two recipients sharing a number get one SMS.
    """
    school = await require_school(conn, uai)
    absence = await repo.get_absence(conn, uai, absence_id)
    if absence is None:
        raise NotFound("unknown_absence", "Absence inconnue.")
    action = await get_action(conn, uai, action_id)
    if not action["active"]:
        raise DomainError("inactive_action", "Cette action n'est plus proposée.")
    recipients = {r["id"]: r for r in await directory.recipients_of(conn, uai, absence["pupil_id"])}
    if not recipient_ids:
        raise DomainError("no_recipient", "Choisir au moins un destinataire.")
    refusals: list[dict[str, str | None]] = []
    for rid in recipient_ids:
        recipient = recipients.get(rid)
        if recipient is None:
            refusals.append(
                {"recipient_id": str(rid), "reason": "Destinataire inconnu pour cet élève."}
            )
        elif not eligible(recipient):
            refusals.append(
                {
                    "recipient_id": str(rid),
                    "role": recipient["role_label"],
                    "reason": ineligible_reason(recipient),
                }
            )
    if refusals:
        raise DomainError(
            "ineligible_recipients",
            "Certains destinataires ne peuvent pas recevoir de SMS.",
            refusals=refusals,
        )
    facts = AbsenceFacts(
        school_name=school["name"],
        school_phone=school["phone"],
        pupil_name=f"{absence['first_name']} {absence['last_name']}",
        division=absence["division"],
        starts_at=absence["starts_at"],
        ends_at=absence["ends_at"],
        time_zone=school["time_zone"],
    )
    text = render(action["template"], facts, action["contact_phone"])
    info = analyse(text)
    rows = []
    seen: set[str] = set()
    for rid in dict.fromkeys(recipient_ids):
        recipient = recipients[rid]
        if recipient["mobile"] in seen:
            continue
        seen.add(recipient["mobile"])
        rows.append(
            {
                "id": uuid4(),
                "absence_id": absence_id,
                "action_id": action_id,
                "recipient_id": rid,
                "recipient_role": recipient["role_label"],
                "recipient_phone": recipient["mobile"],
                "text": text,
                "encoding": info.encoding,
                "segments": info.segments,
            }
        )
    created = await repo.insert_pending_sms(conn, uai, rows)
    return {
        "created": [str(i) for i in created],
        "already_pending": len(rows) - len(created),
        "text": text,
        "encoding": info.encoding,
        "characters": info.characters,
        "segments": info.segments,
    }


async def pending_page(conn: Connection, uai: str, page: int, page_size: int) -> dict[str, Any]:
    """ "SMS à diffuser": the count, one page of SMS, and the seed's labels."""
    school = await require_school(conn, uai)
    total = await repo.count_pending(conn, uai)
    rows = await repo.list_pending(conn, uai, page_size, (page - 1) * page_size)
    first = (page - 1) * page_size + 1 if rows else 0
    last = first + len(rows) - 1 if rows else 0
    return {
        "count": total,
        "message": f"Il y a actuellement {total} SMS en attente de diffusion",
        "pagination": {
            "page": page,
            "page_size": page_size,
            "first": first,
            "last": last,
            "total": total,
            "label": f"Enregistrement(s) {first} à {last}, sur {total} trouvé(s)",
        },
        "items": [
            {
                "sms_id": r["id"],
                "action": r["action_label"],
                "pupil_name": f"{r['last_name']} {r['first_name']}",
                "division": r["division"],
                "event": event_label(r["starts_at"], r["ends_at"], school["time_zone"]),
                "recipient": r["recipient_role"],
                "recipient_phone": mask(r["recipient_phone"]),
                "text": r["text"],
                "segments": r["segments"],
            }
            for r in rows
        ],
    }


async def diffuse(
    conn: Connection, uai: str, ids: Sequence[UUID] | None, diffused_by: str
) -> dict[str, Any]:
    """ "Diffuser": queue the selected pending SMS and request their sending, in one transaction."""
    school = await require_enabled(conn, uai)
    now = datetime.now(UTC)
    moved = await repo.mark_queued(conn, uai, ids, diffused_by, now)
    messages = [
        SmsRequestedV1(
            producer=PRODUCER,
            uai=uai,
            sms_id=r["id"],
            absence_id=r["absence_id"],
            action_code=r["action_code"],
            action_label=r["action_label"],
            recipient_role=r["recipient_role"],
            recipient_phone=r["recipient_phone"],
            text=r["text"],
            encoding=r["encoding"],
            segments=r["segments"],
            pupil_name=f"{r['last_name']} {r['first_name']}",
            division=r["division"],
            event_label=event_label(r["starts_at"], r["ends_at"], school["time_zone"]),
            school_name=school["name"],
            time_zone=school["time_zone"],
            school_year_start_month=school["school_year_start_month"],
            diffused_at=now,
            diffused_by=diffused_by,
        )
        for r in moved
    ]
    await enqueue(conn, messages)
    requested = {r["id"] for r in moved}
    skipped = [str(i) for i in ids or () if i not in requested]
    return {"diffused": [str(r["id"]) for r in moved], "not_pending": skipped}


async def delete_pending(conn: Connection, uai: str, ids: Sequence[UUID]) -> dict[str, Any]:
    await require_school(conn, uai)
    return {"deleted": await repo.mark_deleted(conn, uai, ids)}

"""Use cases of the seed's step 4, "SMS à diffuser": the pending list, "Diffuser" and
"Supprimer".

Diffusion happens in the caller's single transaction: the selected SMS are locked, checked again
(the absence not justified nor deleted, the recipient still eligible, the text rendered from the
absence as it is now), moved out of the pending list, and their `sms.requested.v1` written to the
outbox. An SMS stopped by the check is cancelled with its reason; a concurrent diffusion of the same
SMS waits for the lock and then finds it no longer pending, so each SMS is requested once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from events.adapters import audit, directory
from events.adapters import schools as schools_repo
from events.adapters import sms as repo
from events.app import directory as directory_rules
from events.app.schools import PRODUCER, require_enabled, require_school
from events.app.sms_actions import refusal_code
from events.domain.absences import (
    CANCELLED_DELETED,
    CANCELLED_JUSTIFIED,
    RECIPIENT_GONE,
    SAME_NUMBER,
)
from events.domain.directory_phones import mask_mobile
from events.domain.errors import DomainError
from events.domain.texts import compose, event_label, facts_of
from shared.contracts import SmsRequestedV1
from shared.db.outbox import enqueue
from shared.db.types import Connection
from shared.states import SmsState

NO_PROVIDER = (
    "Aucun fournisseur de service n'est configuré pour cet établissement : le choisir dans "
    "Paramétrages › Fournisseur de services, puis diffuser à nouveau. Les SMS restent en "
    "attente de diffusion."
)


def pagination(page: int, page_size: int, shown: int, total: int) -> dict[str, Any]:
    """ "Enregistrement(s) 1 à 50, sur 312 trouvé(s)", and the page numbers."""
    first = (page - 1) * page_size + 1 if shown else 0
    last = first + shown - 1 if shown else 0
    return {
        "page": page,
        "page_size": page_size,
        "pages": max(1, -(-total // page_size)),
        "first": first,
        "last": last,
        "total": total,
        "label": f"Enregistrement(s) {first} à {last}, sur {total} trouvé(s)",
    }


async def pending_page(conn: Connection, uai: str, page: int, page_size: int) -> dict[str, Any]:
    """ "SMS à diffuser": the count, one page of SMS with the seed's columns (action, nom élève,
    division, évènement, destinataire), and the pagination line."""
    school = await require_school(conn, uai)
    total = await repo.count_pending(conn, uai)
    rows = await repo.list_pending(conn, uai, page_size, (page - 1) * page_size)
    return {
        "count": total,
        "message": f"Il y a actuellement {total} SMS en attente de diffusion",
        "pagination": pagination(page, page_size, len(rows), total),
        "items": [
            {
                "sms_id": r["id"],
                "absence_id": r["absence_id"],
                "action": r["action_label"],
                "action_code": r["action_code"],
                "pupil_name": f"{r['last_name']} {r['first_name']}",
                "division": r["division"],
                "event": event_label(r["starts_at"], r["ends_at"], school["time_zone"]),
                "recipient": r["recipient_role"],
                "recipient_phone": mask_mobile(r["recipient_phone"]),
                "text": r["text"],
                "encoding": r["encoding"],
                "segments": r["segments"],
            }
            for r in rows
        ],
    }


async def require_provider(conn: Connection, uai: str) -> None:
    if await schools_repo.get_provider(conn, uai) is None:
        raise DomainError("no_provider", NO_PROVIDER)


async def _recipients(
    conn: Connection, uai: str, pupil_ids: Iterable[UUID]
) -> dict[UUID, dict[str, Any]]:
    """The recipients of these pupils as the directory has them now, by id."""
    rows = await directory.recipients_of_pupils(conn, uai, sorted(set(pupil_ids)))
    return {recipient["id"]: recipient for recipient in rows}


def _check(
    rows: Sequence[dict[str, Any]],
    recipients: dict[UUID, dict[str, Any]],
    school: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str, str]]]:
    """Split locked pending SMS into those that leave (with their current number and text) and
    those stopped, each with its (reason code, message)."""
    leaving: list[dict[str, Any]] = []
    stopped: list[tuple[dict[str, Any], str, str]] = []
    numbers: set[tuple[UUID, UUID, str]] = set()
    for row in rows:
        recipient = recipients.get(row["recipient_id"]) if row["recipient_id"] else None
        if row["absence_deleted_at"] is not None:
            stopped.append((row, *CANCELLED_DELETED))
        elif row["justified"]:
            stopped.append((row, *CANCELLED_JUSTIFIED))
        elif recipient is None:
            stopped.append((row, *RECIPIENT_GONE))
        elif not directory_rules.eligible(recipient):
            reason = directory_rules.ineligible_reason(recipient) or "Destinataire non éligible."
            stopped.append((row, refusal_code(recipient), f"{reason} SMS non envoyé."))
        elif (row["absence_id"], row["action_id"], recipient["mobile"]) in numbers:
            stopped.append((row, *SAME_NUMBER))
        else:
            numbers.add((row["absence_id"], row["action_id"], recipient["mobile"]))
            composed = compose(
                row["template"],
                facts_of(school, row),
                row["contact_phone"],
                transliterate=row["transliterated"],
            )
            leaving.append(
                {
                    **row,
                    "recipient_phone": recipient["mobile"],
                    "text": composed.text,
                    "encoding": composed.info.encoding,
                    "segments": composed.info.segments,
                }
            )
    return leaving, stopped


async def diffuse(
    conn: Connection, uai: str, ids: Sequence[UUID] | None, *, actor: str, now: datetime
) -> dict[str, Any]:
    """ "Diffuser": send the selected pending SMS (all of them when `ids` is None).

    Refused, with every SMS left pending, when the académie has not given the school its green
    light or no provider is configured.
    """
    school = await require_enabled(conn, uai)
    await require_provider(conn, uai)
    rows = await repo.lock_pending(conn, uai, ids)
    recipients = await _recipients(conn, uai, (r["pupil_id"] for r in rows))
    leaving, stopped = _check(rows, recipients, school)
    await repo.mark_queued(conn, uai, leaving, actor, now)
    await repo.close_pending(
        conn, uai, SmsState.CANCELLED.value, [(r["id"], code, msg) for r, code, msg in stopped], now
    )
    await enqueue(conn, [_request(r, school, actor, now) for r in leaving])
    entries: list[tuple[str, str, str, dict[str, Any]]] = []
    if leaving:
        entries.append(
            (uai, actor, "sms.diffused", {"count": len(leaving), "ids": [r["id"] for r in leaving]})
        )
    entries += [
        (uai, actor, "sms.cancelled", {"id": r["id"], "reason": code}) for r, code, _ in stopped
    ]
    await audit.insert(conn, entries)
    handled = {r["id"] for r in rows}
    return {
        "diffused": [str(r["id"]) for r in leaving],
        "stopped": [
            {
                "sms_id": str(r["id"]),
                "pupil_name": f"{r['last_name']} {r['first_name']}",
                "recipient": r["recipient_role"],
                "state_label": SmsState.CANCELLED.label_fr,
                "reason_code": code,
                "reason": message,
            }
            for r, code, message in stopped
        ],
        "not_pending": [str(i) for i in ids or () if i not in handled],
        "message": f"{len(leaving)} SMS diffusé(s), {len(stopped)} SMS annulé(s).",
    }


def _request(
    row: dict[str, Any], school: dict[str, Any], actor: str, now: datetime
) -> SmsRequestedV1:
    return SmsRequestedV1(
        producer=PRODUCER,
        uai=school["uai"],
        sms_id=row["id"],
        absence_id=row["absence_id"],
        action_code=row["action_code"],
        action_label=row["action_label"],
        recipient_role=row["recipient_role"],
        recipient_phone=row["recipient_phone"],
        text=row["text"],
        encoding=row["encoding"],
        segments=row["segments"],
        pupil_name=f"{row['last_name']} {row['first_name']}",
        division=row["division"],
        event_label=event_label(row["starts_at"], row["ends_at"], school["time_zone"]),
        school_name=school["name"],
        time_zone=school["time_zone"],
        school_year_start_month=school["school_year_start_month"],
        diffused_at=now,
        diffused_by=actor,
    )


async def delete_pending(
    conn: Connection, uai: str, ids: Sequence[UUID], *, actor: str, now: datetime
) -> dict[str, Any]:
    """ "Supprimer les SMS sélectionnés": the pending ones among them are never sent."""
    await require_school(conn, uai)
    rows = await repo.lock_pending(conn, uai, ids)
    deleted = await repo.close_pending(
        conn, uai, SmsState.DELETED.value, [(r["id"], None, None) for r in rows], now
    )
    await audit.insert(conn, [(uai, actor, "sms.deleted", {"id": i}) for i in deleted])
    done = set(deleted)
    return {
        "deleted": len(deleted),
        "ids": [str(i) for i in deleted],
        "not_pending": [str(i) for i in ids if i not in done],
    }

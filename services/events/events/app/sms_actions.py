"""Use cases of "Ajouter une action": preview an SMS action's text for an absence (encoding,
characters, segments, the GSM-7 transliteration) and make its pending SMS for the chosen
recipients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from events.adapters import absences as absences_repo
from events.adapters import audit, directory
from events.adapters import sms as repo
from events.app import directory as directory_rules
from events.app.schools import require_school
from events.domain.absences import UNKNOWN_ABSENCE, is_justified
from events.domain.errors import DomainError, NotFound
from events.domain.texts import compose, facts_of, preview_figures
from shared.db.types import Connection

UNKNOWN_RECIPIENT = "Destinataire inconnu pour cet élève."


def refusal_code(recipient: dict[str, Any]) -> str:
    """Why a recipient may not receive an SMS, for programs."""
    return directory_rules.ineligible_code(recipient) or "recipient_ineligible"


async def _context(
    conn: Connection, uai: str, absence_id: UUID, action_id: UUID
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[UUID, dict[str, Any]]]:
    school = await require_school(conn, uai)
    absence = await absences_repo.get_absence(conn, uai, absence_id)
    if absence is None:
        raise NotFound(*UNKNOWN_ABSENCE)
    action = await repo.get_action(conn, uai, action_id)
    if action is None:
        raise NotFound("unknown_action", "Action inconnue.")
    if not action["active"]:
        raise DomainError("inactive_action", "Cette action n'est plus proposée.")
    recipients = {r["id"]: r for r in await directory.recipients_of(conn, uai, absence["pupil_id"])}
    return school, absence, action, recipients


def _choose(recipients: dict[UUID, dict[str, Any]], chosen: Sequence[UUID]) -> list[dict[str, Any]]:
    """Each chosen recipient with what becomes of it: an SMS, merged into another recipient's
    SMS (same number), or refused with the reason."""
    outcome: list[dict[str, Any]] = []
    first_with: dict[str, dict[str, Any]] = {}
    for rid in dict.fromkeys(chosen):
        recipient = recipients.get(rid)
        if recipient is None:
            outcome.append(
                {
                    "recipient_id": str(rid),
                    "role": None,
                    "status": "refused",
                    "code": "unknown_recipient",
                    "reason": UNKNOWN_RECIPIENT,
                }
            )
        elif not directory_rules.eligible(recipient):
            outcome.append(
                {
                    "recipient_id": str(rid),
                    "role": recipient["role_label"],
                    "status": "refused",
                    "code": refusal_code(recipient),
                    "reason": directory_rules.ineligible_reason(recipient),
                }
            )
        elif recipient["mobile"] in first_with:
            outcome.append(
                {
                    "recipient_id": str(rid),
                    "role": recipient["role_label"],
                    "status": "merged",
                    "merged_with": first_with[recipient["mobile"]]["role_label"],
                    "reason": "Même numéro de mobile qu'un autre destinataire : un seul SMS.",
                }
            )
        else:
            first_with[recipient["mobile"]] = recipient
            outcome.append(
                {"recipient_id": str(rid), "role": recipient["role_label"], "status": "sms"}
            )
    return outcome


async def preview_sms(
    conn: Connection,
    uai: str,
    absence_id: UUID,
    action_id: UUID,
    recipient_ids: Sequence[UUID],
    *,
    transliterate: bool,
) -> dict[str, Any]:
    """The text the action would send for this absence, its figures and those of its GSM-7
    transliteration, and what becomes of each chosen recipient (or of every recipient of the
    pupil when none is chosen)."""
    school, absence, action, recipients = await _context(conn, uai, absence_id, action_id)
    composed = compose(
        action["template"],
        facts_of(school, absence),
        action["contact_phone"],
        transliterate=transliterate,
    )
    original = compose(
        action["template"], facts_of(school, absence), action["contact_phone"], transliterate=False
    )
    outcome = _choose(recipients, list(recipient_ids) or list(recipients))
    return {
        "text": composed.text,
        "encoding": composed.info.encoding,
        "characters": composed.info.characters,
        "units": composed.info.units,
        "segments": composed.info.segments,
        "remaining": composed.info.remaining,
        "transliterated": transliterate,
        **preview_figures(original.text),
        "absence_justified": is_justified(absence),
        "recipients": outcome,
        "sms_count": sum(1 for o in outcome if o["status"] == "sms"),
    }


async def add_sms_action(
    conn: Connection,
    uai: str,
    absence_id: UUID,
    action_id: UUID,
    recipient_ids: Sequence[UUID],
    *,
    transliterate: bool,
    actor: str,
) -> dict[str, Any]:
    """Make the pending SMS of an action for the chosen recipients of the absence's pupil.

    Every chosen recipient must be eligible (mobile + "accepte les SMS"), else nothing is made and
    the answer lists each refusal. Two recipients sharing a number get one SMS, and a number
    already waiting for this absence and action is not queued twice.
    """
    if not recipient_ids:
        raise DomainError("no_recipient", "Choisir au moins un destinataire.")
    school, absence, action, recipients = await _context(conn, uai, absence_id, action_id)
    if is_justified(absence):
        raise DomainError(
            "absence_justified",
            "Cette absence est justifiée : la famille n'a pas à être prévenue par SMS.",
        )
    outcome = _choose(recipients, recipient_ids)
    refusals = [o for o in outcome if o["status"] == "refused"]
    if refusals:
        raise DomainError(
            "ineligible_recipients",
            "Certains destinataires ne peuvent pas recevoir de SMS : "
            + " ; ".join(f"{o['role'] or o['recipient_id']} : {o['reason']}" for o in refusals),
            refusals=refusals,
        )
    composed = compose(
        action["template"],
        facts_of(school, absence),
        action["contact_phone"],
        transliterate=transliterate,
    )
    rows = []
    for o in outcome:
        if o["status"] != "sms":
            continue
        recipient = recipients[UUID(o["recipient_id"])]
        rows.append(
            {
                "id": uuid4(),
                "absence_id": absence_id,
                "action_id": action_id,
                "recipient_id": recipient["id"],
                "recipient_role": recipient["role_label"],
                "recipient_phone": recipient["mobile"],
                "text": composed.text,
                "encoding": composed.info.encoding,
                "segments": composed.info.segments,
                "transliterated": transliterate,
            }
        )
    created = await repo.insert_pending(conn, uai, rows, actor)
    made = set(created)
    await audit.insert(
        conn,
        [
            (
                uai,
                actor,
                "sms.created",
                {
                    "id": r["id"],
                    "absence_id": absence_id,
                    "action": action["code"],
                    "recipient": r["recipient_role"],
                },
            )
            for r in rows
            if r["id"] in made
        ],
    )
    return {
        "created": [str(i) for i in created],
        "already_pending": len(rows) - len(created),
        "recipients": outcome,
        "text": composed.text,
        "encoding": composed.info.encoding,
        "characters": composed.info.characters,
        "segments": composed.info.segments,
        "transliterated": transliterate,
    }

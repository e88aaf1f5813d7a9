"""Use cases on SMS actions, pupils and who may receive an SMS about a pupil."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from events.adapters import audit
from events.adapters import directory as repo
from events.app.schools import require_school
from events.domain.actions import PROCESSING, check_action
from events.domain.errors import Conflict, DomainError, NotFound
from events.domain.phones import normalise_mobile
from shared.db.types import Connection


async def create_action(
    conn: Connection, uai: str, values: dict[str, Any], *, actor: str
) -> dict[str, Any]:
    school = await require_school(conn, uai)
    checked = check_action(values, school["phone_region"])
    action_id = uuid4()
    try:
        async with conn.transaction():
            await repo.insert_action(conn, uai, action_id, checked)
    except asyncpg.UniqueViolationError:
        raise _exists(checked["code"]) from None
    await audit.insert(conn, [(uai, actor, "action.created", {"id": action_id, **checked})])
    return await get_action(conn, uai, action_id)


async def update_action(
    conn: Connection, uai: str, action_id: UUID, values: dict[str, Any], *, actor: str
) -> dict[str, Any]:
    school = await require_school(conn, uai)
    checked = check_action(values, school["phone_region"])
    before = await get_action(conn, uai, action_id)
    try:
        async with conn.transaction():
            await repo.update_action(conn, uai, action_id, checked)
    except asyncpg.UniqueViolationError:
        raise _exists(checked["code"]) from None
    changes = {f: {"before": before[f], "after": v} for f, v in checked.items() if before[f] != v}
    if changes:
        await audit.insert(
            conn, [(uai, actor, "action.updated", {"id": action_id, "changes": changes})]
        )
    return await get_action(conn, uai, action_id)


def _exists(code: str) -> Conflict:
    return Conflict("action_exists", "Une action porte déjà ce libellé court.", short_label=code)


async def get_action(conn: Connection, uai: str, action_id: UUID) -> dict[str, Any]:
    action = await repo.get_action(conn, uai, action_id)
    if action is None:
        raise NotFound("unknown_action", "Action inconnue.")
    school = await require_school(conn, uai)
    return action_view(action, school)


def action_view(action: dict[str, Any], school: dict[str, Any]) -> dict[str, Any]:
    """The seed's form: "Traitement" is always "Envoi de SMS"; "Émetteur" is the number the SMS
    asks families to call back: the action's own (a CPE's direct line) or the school's."""
    return {
        **action,
        "processing": PROCESSING,
        "emitter": action["contact_phone"] or school["phone"],
    }


async def delete_action(conn: Connection, uai: str, action_id: UUID, *, actor: str) -> None:
    """Retire the action (SMS already made with it keep their history)."""
    if not await repo.deactivate_action(conn, uai, action_id):
        raise NotFound("unknown_action", "Action inconnue.")
    await audit.insert(conn, [(uai, actor, "action.retired", {"id": action_id})])


async def create_pupil(conn: Connection, uai: str, values: dict[str, Any]) -> dict[str, Any]:
    school = await require_school(conn, uai)
    recipients = []
    for index, recipient in enumerate(values["recipients"]):
        mobile = recipient.get("mobile")
        if mobile:
            try:
                mobile = normalise_mobile(mobile, school["phone_region"])
            except DomainError as exc:
                raise DomainError(
                    exc.code, f"{exc.message} (destinataire n°{index + 1})", recipient=index
                ) from None
        recipients.append({**recipient, "id": uuid4(), "mobile": mobile or None})
    pupil_id = uuid4()
    await repo.insert_pupil(conn, uai, pupil_id, values, recipients)
    return await get_pupil(conn, uai, pupil_id)


async def get_pupil(conn: Connection, uai: str, pupil_id: UUID) -> dict[str, Any]:
    pupil = await repo.get_pupil(conn, uai, pupil_id)
    if pupil is None:
        raise NotFound("unknown_pupil", "Élève inconnu.")
    pupil["recipients"] = [
        {**r, "eligible": eligible(r), "ineligible_reason": ineligible_reason(r)}
        for r in await repo.recipients_of(conn, uai, pupil_id)
    ]
    return pupil


async def list_actions(conn: Connection, uai: str) -> list[dict[str, Any]]:
    school = await require_school(conn, uai)
    return [action_view(a, school) for a in await repo.list_actions(conn, uai)]


async def list_pupils(conn: Connection, uai: str, limit: int, offset: int) -> list[dict[str, Any]]:
    return await repo.list_pupils(conn, uai, limit, offset)


def eligible(recipient: dict[str, Any]) -> bool:
    """The seed's rule: a mobile number and "accepte les SMS" ticked."""
    return bool(recipient["mobile"]) and bool(recipient["accepts_sms"])


def ineligible_reason(recipient: dict[str, Any]) -> str | None:
    if not recipient["mobile"]:
        return "Aucun numéro de téléphone mobile renseigné."
    if not recipient["accepts_sms"]:
        return "La case « accepte les SMS » n'est pas cochée."
    return None

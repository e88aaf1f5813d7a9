"""Use cases on SMS actions, pupils and who may receive an SMS about a pupil.

The seed's rule (step 3): an SMS action is offered for a recipient (a guardian or the pupil) only
with a mobile number and "accepte les SMS" ticked; `ineligible_code` / `ineligible_reason` say why
not. Pupils come from the SIECLE or CSV imports (app/imports.py) or are typed by staff.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from events.adapters import audit
from events.adapters import directory as repo
from events.app.schools import require_school
from events.domain.actions import PROCESSING, check_action
from events.domain.directory_csv import role
from events.domain.directory_phones import mask_mobile, require_mobile
from events.domain.errors import Conflict, DomainError, NotFound
from events.domain.siecle_sync import effective
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


INELIGIBLE_REASONS = {
    "retired": "L'élève a quitté l'établissement : aucun SMS ne lui est plus proposé.",
    "no_mobile": "Aucun numéro de téléphone mobile renseigné.",
    "not_a_mobile": "Le numéro renseigné est un fixe : il ne peut pas recevoir de SMS.",
    "invalid_number": "Le numéro de mobile renseigné est invalide.",
    "opted_out": "La case « accepte les SMS » n'est pas cochée.",
}


def ineligible_code(recipient: dict[str, Any]) -> str | None:
    """Why no SMS may go to this recipient ("no_mobile", "not_a_mobile", "invalid_number",
    "opted_out", "retired"), or None when one may."""
    if recipient.get("retired"):
        return "retired"
    if not recipient["mobile"]:
        problem = recipient.get("mobile_problem")
        return problem if problem in {"not_a_mobile", "invalid_number"} else "no_mobile"
    if not recipient["accepts_sms"]:
        return "opted_out"
    return None


def eligible(recipient: dict[str, Any]) -> bool:
    """The seed's rule: a mobile number and "accepte les SMS" ticked (and the pupil still here)."""
    return ineligible_code(recipient) is None


def ineligible_reason(recipient: dict[str, Any]) -> str | None:
    code = ineligible_code(recipient)
    return INELIGIBLE_REASONS[code] if code else None


def recipient_view(r: dict[str, Any]) -> dict[str, Any]:
    """A recipient as staff see it: the number (and masked), eligibility and why not, and what
    the last import said next to what staff set."""
    code = ineligible_code(r)
    return {
        "id": r["id"],
        "kind": r.get("kind", "guardian"),
        "role_label": r["role_label"],
        "name": r["name"],
        "mobile": r["mobile"],
        "mobile_masked": mask_mobile(r["mobile"]),
        "accepts_sms": r["accepts_sms"],
        "eligible": code is None,
        "ineligible_code": code,
        "ineligible_reason": INELIGIBLE_REASONS[code] if code else None,
        "imported": {
            "mobile_masked": mask_mobile(r.get("imported_mobile")),
            "problem": r.get("imported_problem"),
            "phone_as_typed": r.get("imported_phone_raw"),
            "accepts_sms": r.get("imported_accepts_sms"),
        }
        if r.get("external_id")
        else None,
        "staff": {
            "mobile_set": bool(r.get("staff_mobile_set")),
            "accepts_sms": r.get("staff_accepts_sms"),
        },
    }


def _pupil_view(pupil: dict[str, Any], recipients: list[dict[str, Any]]) -> dict[str, Any]:
    views = [recipient_view(r) for r in recipients]
    return {
        "id": pupil["id"],
        "last_name": pupil["last_name"],
        "first_name": pupil["first_name"],
        "division": pupil["division"],
        "source": pupil["source"],
        "retired": pupil["retired_at"] is not None,
        "retired_at": pupil["retired_at"],
        "sms_possible": any(v["eligible"] for v in views),
        "recipients": views,
    }


def _staff_recipients(
    values: list[dict[str, Any]], region: str, first: int
) -> list[dict[str, Any]]:
    checked = []
    for index, recipient in enumerate(values):
        try:
            mobile = require_mobile(recipient.get("mobile"), region)
        except DomainError as exc:
            raise DomainError(
                exc.code, f"{exc.message} (destinataire n°{index + 1})", recipient=index
            ) from None
        label, kind, _position = role(recipient["role_label"])
        checked.append(
            {
                **recipient,
                "id": uuid4(),
                "role_label": label,
                "kind": kind,
                "position": first + index,
                "mobile": mobile,
            }
        )
    return checked


async def create_pupil(
    conn: Connection, uai: str, values: dict[str, Any], *, actor: str | None = None
) -> dict[str, Any]:
    """A pupil typed by staff, with recipients whose numbers are checked now."""
    school = await require_school(conn, uai)
    recipients = _staff_recipients(values.get("recipients", []), school["phone_region"], 0)
    pupil_id = uuid4()
    await repo.insert_pupil(conn, uai, pupil_id, values, recipients)
    if actor:
        await audit.insert(conn, [(uai, actor, "pupil.created", {"id": pupil_id})])
    return await get_pupil(conn, uai, pupil_id)


async def _require_pupil(conn: Connection, uai: str, pupil_id: UUID) -> dict[str, Any]:
    pupil = await repo.get_pupil(conn, uai, pupil_id)
    if pupil is None:
        raise NotFound("unknown_pupil", "Élève inconnu.")
    return pupil


async def get_pupil(conn: Connection, uai: str, pupil_id: UUID) -> dict[str, Any]:
    """The pupil, whether an SMS may be offered, and each recipient with why not."""
    pupil = await _require_pupil(conn, uai, pupil_id)
    return _pupil_view(pupil, await repo.recipients_of(conn, uai, pupil_id))


async def update_pupil(
    conn: Connection, uai: str, pupil_id: UUID, values: dict[str, Any], *, actor: str
) -> dict[str, Any]:
    """Names and division (an imported pupil takes the export's values again at its next import)."""
    pupil = await _require_pupil(conn, uai, pupil_id)
    merged = {k: values.get(k, pupil[k]) for k in ("last_name", "first_name", "division")}
    if not await repo.update_pupil(conn, uai, pupil_id, merged):
        raise DomainError("retired_pupil", "Cet élève a quitté l'établissement.")
    await audit.insert(conn, [(uai, actor, "pupil.updated", {"id": pupil_id})])
    return await get_pupil(conn, uai, pupil_id)


async def retire_pupil(conn: Connection, uai: str, pupil_id: UUID, *, actor: str) -> None:
    """The pupil left: no longer listed nor offered SMS; absences and SMS keep their history."""
    await _require_pupil(conn, uai, pupil_id)
    if await repo.retire_pupil(conn, uai, pupil_id):
        await audit.insert(conn, [(uai, actor, "pupil.retired", {"id": pupil_id})])


async def add_recipient(
    conn: Connection, uai: str, pupil_id: UUID, values: dict[str, Any], *, actor: str
) -> dict[str, Any]:
    school = await require_school(conn, uai)
    pupil = await _require_pupil(conn, uai, pupil_id)
    if pupil["retired_at"] is not None:
        raise DomainError("retired_pupil", "Cet élève a quitté l'établissement.")
    first = await repo.next_position(conn, uai, pupil_id)
    [recipient] = _staff_recipients([values], school["phone_region"], first)
    await repo.insert_staff_recipients(conn, uai, pupil_id, [recipient])
    await audit.insert(
        conn,
        [(uai, actor, "recipient.created", {"pupil_id": pupil_id, "id": recipient["id"]})],
    )
    return await get_pupil(conn, uai, pupil_id)


async def update_recipient(
    conn: Connection,
    uai: str,
    pupil_id: UUID,
    recipient_id: UUID,
    values: dict[str, Any],
    *,
    actor: str,
) -> dict[str, Any]:
    """Staff change a recipient. Only the fields given change; `mobile` (even empty) and
    `accepts_sms` become the staff's values, kept over later imports (an opt-out from either side
    wins); `reset_to_import` drops them to follow the export again."""
    school = await require_school(conn, uai)
    found = await repo.get_recipient(conn, uai, pupil_id, recipient_id)
    if found is None:
        raise NotFound("unknown_recipient", "Destinataire inconnu pour cet élève.")
    row = dict(found)
    if values.get("reset_to_import"):
        row.update(staff_mobile_set=False, staff_mobile=None, staff_accepts_sms=None)
    if "mobile" in values:
        row["staff_mobile_set"] = True
        row["staff_mobile"] = require_mobile(values["mobile"], school["phone_region"])
    if "accepts_sms" in values:
        row["staff_accepts_sms"] = values["accepts_sms"]
    if "role_label" in values:
        row["role_label"] = role(values["role_label"])[0]
    if "name" in values:
        row["name"] = values["name"]
    row.update(
        effective(
            imported_mobile=row["imported_mobile"],
            imported_problem=row["imported_problem"],
            imported_accepts_sms=row["imported_accepts_sms"],
            staff_mobile_set=row["staff_mobile_set"],
            staff_mobile=row["staff_mobile"],
            staff_accepts_sms=row["staff_accepts_sms"],
        )
    )
    await repo.update_recipient(conn, uai, recipient_id, row)
    changed = sorted(
        k for k in ("role_label", "name", "mobile", "accepts_sms") if row[k] != found[k]
    )
    await audit.insert(
        conn,
        [
            (
                uai,
                actor,
                "recipient.updated",
                {"pupil_id": pupil_id, "id": recipient_id, "changed": changed},
            )
        ],
    )
    return recipient_view(row)


async def retire_recipient(
    conn: Connection, uai: str, pupil_id: UUID, recipient_id: UUID, *, actor: str
) -> None:
    if not await repo.retire_recipient(conn, uai, pupil_id, recipient_id):
        raise NotFound("unknown_recipient", "Destinataire inconnu pour cet élève.")
    await audit.insert(
        conn, [(uai, actor, "recipient.retired", {"pupil_id": pupil_id, "id": recipient_id})]
    )


async def list_actions(conn: Connection, uai: str) -> list[dict[str, Any]]:
    school = await require_school(conn, uai)
    return [action_view(a, school) for a in await repo.list_actions(conn, uai)]


async def list_pupils(
    conn: Connection,
    uai: str,
    limit: int,
    offset: int,
    *,
    division: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """Current pupils by division and name (`search`: words of the name, accents ignored)."""
    return await repo.list_pupils(conn, uai, limit, offset, division=division, search=search)


async def pupils_page(
    conn: Connection,
    uai: str,
    page: int,
    page_size: int,
    *,
    division: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    """One page of current pupils with the total, for the "Élèves" screen."""
    await require_school(conn, uai)
    total = await repo.count_pupils(conn, uai, division=division, search=search)
    items = await list_pupils(
        conn, uai, page_size, (page - 1) * page_size, division=division, search=search
    )
    return {"count": total, "page": page, "page_size": page_size, "items": items}


async def list_divisions(conn: Connection, uai: str) -> list[dict[str, Any]]:
    await require_school(conn, uai)
    return await repo.divisions(conn, uai)

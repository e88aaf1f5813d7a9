"""The seed's step 3: "Saisie d'un évènement" (an absence, its SMS action with a live preview,
its "Historique des actions")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import absences, directory, sms_actions
from events.domain.errors import DomainError
from events.ui.common import school_page
from events.ui.web import first, read_form, redirect, render

router = APIRouter()
PAGE_SIZE = 50


# ---- Saisie d'un évènement --------------------------------------------------------------------


@router.get("/e/{uai}/saisie")
async def entry_page(
    request: Request, uai: str, q: str = "", division: str = "", eleve: UUID | None = None
) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        pupil = await directory.get_pupil(conn, school["uai"], eleve) if eleve else None
        found: list[dict[str, Any]] = []
        total = 0
        if pupil is None and (q.strip() or division):
            page = await directory.pupils_page(
                conn,
                school["uai"],
                1,
                30,
                division=division or None,
                search=q.strip()[:100] or None,
            )
            total, found = page["count"], page["items"]
        divisions = [d["division"] for d in await directory.list_divisions(conn, school["uai"])]
        recent = await absences.list_absences(conn, school["uai"], 10, 0)
    now = datetime.now(ZoneInfo(school["time_zone"]))
    start = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    end = min(start + timedelta(hours=4), start.replace(hour=23, minute=55))
    form = {
        "start_date": start.date().isoformat(),
        "start_time": f"{start:%H:%M}",
        "end_date": end.date().isoformat(),
        "end_time": f"{end:%H:%M}",
        "reason": "",
        "evidence": "",
        "observed": True,
        "reason_legitimate": False,
    }
    return render(
        request,
        "entry.html",
        {
            "title": "Saisie d'un évènement",
            "school": school,
            "q": q,
            "division": division,
            "divisions": divisions,
            "found": found,
            "found_total": total,
            "pupil": pupil,
            "form": form,
            "errors": {},
            "recent": recent,
        },
        session=session,
    )


ABSENCE_FIELDS = (
    "pupil_id",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "reason",
    "evidence",
    "observed",
    "reason_legitimate",
)


def _moment(day: str, at: str, zone: ZoneInfo) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=zone)


def absence_period(
    form: dict[str, Any], zone: ZoneInfo, errors: dict[str, str]
) -> tuple[datetime | None, datetime | None]:
    """The "Du … à …" and "Au … à …" of an absence form; what is wrong goes to `errors`."""
    starts_at = ends_at = None
    try:
        starts_at = _moment(form["start_date"], form["start_time"], zone)
    except ValueError:
        errors["start_date"] = "Début de l'absence invalide : saisir une date et une heure."
    try:
        ends_at = _moment(form["end_date"], form["end_time"], zone)
    except ValueError:
        errors["end_date"] = "Fin de l'absence invalide : saisir une date et une heure."
    if starts_at and ends_at and ends_at < starts_at:
        errors["end_date"] = "La fin de l'absence doit être après son début."
    return starts_at, ends_at


@router.post("/e/{uai}/saisie")
async def entry_save(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ABSENCE_FIELDS)
        form: dict[str, Any] = {name: first(values, name) for name in ABSENCE_FIELDS}
        form["observed"] = bool(values.get("observed"))
        form["reason_legitimate"] = bool(values.get("reason_legitimate"))
        zone = ZoneInfo(school["time_zone"])
        errors: dict[str, str] = {}
        pupil = None
        try:
            pupil = await directory.get_pupil(conn, school["uai"], UUID(form["pupil_id"]))
        except (ValueError, DomainError):
            errors["pupil_id"] = "Choisir l'élève absent."
        starts_at, ends_at = absence_period(form, zone, errors)
        absence = None
        if not errors:
            try:
                absence = await absences.record_absence(
                    conn,
                    school["uai"],
                    {
                        "pupil_id": UUID(form["pupil_id"]),
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "reason": form["reason"][:100] or None,
                        "evidence": form["evidence"][:100] or None,
                        "observed": form["observed"],
                        "reason_legitimate": form["reason_legitimate"],
                    },
                    actor=session.principal.subject,
                )
            except DomainError as exc:
                errors["start_date"] = exc.message
        if errors or absence is None:
            divisions = [d["division"] for d in await directory.list_divisions(conn, school["uai"])]
            recent = await absences.list_absences(conn, school["uai"], 10, 0)
            return render(
                request,
                "entry.html",
                {
                    "title": "Saisie d'un évènement",
                    "school": school,
                    "q": "",
                    "division": "",
                    "divisions": divisions,
                    "found": [],
                    "found_total": 0,
                    "pupil": pupil,
                    "form": form,
                    "errors": errors,
                    "recent": recent,
                },
                session=session,
                status_code=422,
            )
    return redirect(
        f"/e/{school['uai']}/absences/{absence['id']}",
        "Absence enregistrée : ajouter maintenant l'action SMS pour prévenir la famille.",
    )


async def render_absence_page(
    request: Request,
    uai: str,
    absence_id: UUID,
    *,
    chosen: set[str] | None = None,
    action_id: str = "",
    transliterate: bool = False,
    errors: dict[str, str] | None = None,
    justify: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        absence = await absences.get_absence(conn, school["uai"], absence_id)
        pupil = await directory.get_pupil(conn, school["uai"], absence["pupil_id"])
        actions = [a for a in await directory.list_actions(conn, school["uai"]) if a["active"]]
        chosen_action = action_id or (str(actions[0]["id"]) if actions else "")
        preview = None
        if chosen_action:
            try:
                preview = await sms_actions.preview_sms(
                    conn,
                    school["uai"],
                    absence_id,
                    UUID(chosen_action),
                    [UUID(c) for c in chosen or ()],
                    transliterate=transliterate,
                )
            except (ValueError, DomainError):
                preview = None
    return render(
        request,
        "absence.html",
        {
            "title": "Saisie d'un évènement",
            "school": school,
            "absence": absence,
            "pupil": pupil,
            "actions": actions,
            "preview": preview,
            "transliterate": transliterate,
            "preview_url": f"/api/v1/schools/{school['uai']}/absences/{absence_id}/sms/preview",
            "history_url": f"/api/v1/schools/{school['uai']}/absences/{absence_id}",
            "chosen": chosen if chosen is not None else set(),
            "action_id": chosen_action,
            "errors": errors or {},
            "justify": justify
            or {
                "reason": absence["reason"] or "",
                "evidence": absence["evidence"] or "",
                "reason_legitimate": absence["reason_legitimate"],
            },
            "pending_count": sum(h["state"] == "pending" for h in absence["history"]),
        },
        session=session,
        status_code=status_code,
    )


@router.get("/e/{uai}/absences/{absence_id}")
async def absence_page(request: Request, uai: str, absence_id: UUID) -> Response:
    return await render_absence_page(request, uai, absence_id)


@router.post("/e/{uai}/absences/{absence_id}/sms")
async def absence_add_sms(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ("action_id", "recipient_ids", "transliterate"))
        chosen = set(values.get("recipient_ids", []))
        transliterate = bool(values.get("transliterate"))
        action_id = first(values, "action_id")
        errors: dict[str, str] = {}
        if not chosen:
            errors["recipient_ids"] = "Choisir au moins un destinataire."
        try:
            action_uuid = UUID(action_id)
        except ValueError:
            errors["action_id"] = "Choisir l'action à ajouter."
        created = None
        if not errors:
            try:
                created = await absences.add_sms_action(
                    conn,
                    school["uai"],
                    absence_id,
                    action_uuid,
                    [UUID(c) for c in chosen],
                    transliterate=transliterate,
                    actor=session.principal.subject,
                )
            except ValueError:
                errors["recipient_ids"] = "Destinataire inconnu pour cet élève."
            except DomainError as exc:
                refusals = exc.details.get("refusals")
                if isinstance(refusals, list) and refusals:
                    errors["recipient_ids"] = " ".join(
                        f"{r.get('role') or 'Destinataire'} : {r.get('reason')}" for r in refusals
                    )
                else:
                    errors["action_id"] = exc.message
    if errors or created is None:
        return await render_absence_page(
            request,
            uai,
            absence_id,
            chosen=chosen,
            action_id=action_id,
            transliterate=transliterate,
            errors=errors,
            status_code=422,
        )
    n = len(created["created"])
    message = f"{n} SMS ajouté(s) à la liste « SMS à diffuser »."
    if created["already_pending"]:
        message += f" {created['already_pending']} étai(en)t déjà en attente."
    return redirect(f"/e/{school['uai']}/absences/{absence_id}", message)

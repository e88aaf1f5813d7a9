"""Changing an absence after it is recorded ("Saisie et Modification"): edit its dates and
fields, justify it, or delete it after a confirmation. Justifying or deleting an absence cancels
its SMS still waiting in "SMS à diffuser": the family no longer needs to be texted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import absences
from events.domain.absences import CANCELLED_JUSTIFIED, clean_label
from events.domain.errors import DomainError
from events.ui.common import school_page
from events.ui.pages_envoi import absence_period, render_absence_page
from events.ui.web import first, read_form, redirect, render

router = APIRouter()

EDIT_FIELDS = (
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "reason",
    "evidence",
    "observed",
    "reason_legitimate",
)
JUSTIFY_FIELDS = ("reason", "evidence", "reason_legitimate")
NOT_JUSTIFIED = (
    "Pour justifier l'absence, saisir le justificatif reçu ou cocher « Motif légitime »."
)


def _pending_count(absence: dict[str, Any]) -> int:
    return sum(h["state"] == "pending" for h in absence["history"])


def _cancelled_by_justification(absence: dict[str, Any]) -> int:
    return sum(
        h["state"] == "cancelled" and h["reason_code"] == CANCELLED_JUSTIFIED[0]
        for h in absence["history"]
    )


def _newly_cancelled(before: dict[str, Any], after: dict[str, Any]) -> int:
    """SMS this change cancelled, counting one added to the absence while the page was read."""
    return _cancelled_by_justification(after) - _cancelled_by_justification(before)


def _cancelled_message(count: int) -> str:
    if count == 0:
        return ""
    return (
        f" {count} SMS à diffuser annulé(s) : l'absence est justifiée, "
        "la famille n'a plus à être prévenue."
    )


def _edit_form(absence: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    starts = absence["starts_at"].astimezone(zone)
    ends = absence["ends_at"].astimezone(zone)
    return {
        "start_date": starts.date().isoformat(),
        "start_time": f"{starts:%H:%M}",
        "end_date": ends.date().isoformat(),
        "end_time": f"{ends:%H:%M}",
        "reason": absence["reason"] or "",
        "evidence": absence["evidence"] or "",
        "observed": absence["observed"],
        "reason_legitimate": absence["reason_legitimate"],
    }


def _edit_context(
    school: dict[str, Any],
    absence: dict[str, Any],
    form: dict[str, Any],
    errors: dict[str, str],
) -> dict[str, Any]:
    return {
        "title": "Modifier l'absence",
        "school": school,
        "absence": absence,
        "form": form,
        "errors": errors,
        "pending_count": _pending_count(absence),
    }


@router.get("/e/{uai}/absences/{absence_id}/modifier")
async def edit_page(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        absence = await absences.get_absence(conn, school["uai"], absence_id)
    form = _edit_form(absence, ZoneInfo(school["time_zone"]))
    return render(
        request, "absence_edit.html", _edit_context(school, absence, form, {}), session=session
    )


@router.post("/e/{uai}/absences/{absence_id}/modifier")
async def edit_save(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, EDIT_FIELDS)
        form: dict[str, Any] = {name: first(values, name) for name in EDIT_FIELDS}
        form["observed"] = bool(values.get("observed"))
        form["reason_legitimate"] = bool(values.get("reason_legitimate"))
        before = await absences.get_absence(conn, school["uai"], absence_id)
        errors: dict[str, str] = {}
        starts_at, ends_at = absence_period(form, ZoneInfo(school["time_zone"]), errors)
        after = None
        if not errors:
            try:
                after = await absences.edit_absence(
                    conn,
                    school["uai"],
                    absence_id,
                    {
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "reason": form["reason"][:100] or None,
                        "evidence": form["evidence"][:100] or None,
                        "observed": form["observed"],
                        "reason_legitimate": form["reason_legitimate"],
                    },
                    actor=session.principal.subject,
                    now=datetime.now(UTC),
                )
            except DomainError as exc:
                errors["start_date"] = exc.message
        if errors or after is None:
            return render(
                request,
                "absence_edit.html",
                _edit_context(school, before, form, errors),
                session=session,
                status_code=422,
            )
    message = "Absence modifiée." + _cancelled_message(_newly_cancelled(before, after))
    return redirect(f"/e/{school['uai']}/absences/{absence_id}", message)


@router.post("/e/{uai}/absences/{absence_id}/justifier")
async def justify(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, JUSTIFY_FIELDS)
        form: dict[str, Any] = {name: first(values, name) for name in JUSTIFY_FIELDS}
        form["reason_legitimate"] = bool(values.get("reason_legitimate"))
        justified = clean_label(form["evidence"]) is not None or form["reason_legitimate"]
        if justified:
            before = await absences.get_absence(conn, school["uai"], absence_id)
            after = await absences.edit_absence(
                conn,
                school["uai"],
                absence_id,
                {
                    "reason": form["reason"][:100] or None,
                    "evidence": form["evidence"][:100] or None,
                    "reason_legitimate": form["reason_legitimate"],
                },
                actor=session.principal.subject,
                now=datetime.now(UTC),
            )
    if not justified:
        return await render_absence_page(
            request,
            uai,
            absence_id,
            errors={"evidence": NOT_JUSTIFIED},
            justify=form,
            status_code=422,
        )
    message = "Absence justifiée." + (
        _cancelled_message(_newly_cancelled(before, after))
        or " Aucun SMS n'était en attente de diffusion."
    )
    return redirect(f"/e/{school['uai']}/absences/{absence_id}", message)


@router.get("/e/{uai}/absences/{absence_id}/supprimer")
async def delete_confirm(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        absence = await absences.get_absence(conn, school["uai"], absence_id)
    return render(
        request,
        "absence_delete.html",
        {
            "title": "Supprimer l'absence",
            "school": school,
            "absence": absence,
            "pending_count": _pending_count(absence),
            "sent_count": sum(
                h["state"] not in ("pending", "cancelled", "deleted") for h in absence["history"]
            ),
        },
        session=session,
    )


@router.post("/e/{uai}/absences/{absence_id}/supprimer")
async def delete(request: Request, uai: str, absence_id: UUID) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        await read_form(request, session, ())
        absence = await absences.get_absence(conn, school["uai"], absence_id)
        deleted = await absences.delete_absence(
            conn, school["uai"], absence_id, actor=session.principal.subject, now=datetime.now(UTC)
        )
    cancelled = len(deleted["cancelled_sms"])
    message = f"Absence de {absence['pupil_name']} ({absence['label']}) supprimée."
    if cancelled:
        message += (
            f" {cancelled} SMS à diffuser annulé(s) : la famille ne sera pas prévenue de "
            "cette absence."
        )
    return redirect(f"/e/{school['uai']}/saisie", message)

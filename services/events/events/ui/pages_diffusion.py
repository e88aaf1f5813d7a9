"""The seed's step 4: "Envoi aux familles › SMS à diffuser" (Diffuser, Supprimer, after a
confirmation saying how many SMS leave) and the SMS "à vérifier" (Renvoyer, Considérer comme
envoyé)."""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import absences, resolution
from events.domain.errors import DomainError
from events.domain.texts import event_label
from events.ui.common import school_page
from events.ui.web import first, read_form, redirect, render, resources

router = APIRouter()
PAGE_SIZE = 50


@router.get("/e/{uai}/sms-a-diffuser")
async def pending_page(request: Request, uai: str, page: int = 1) -> Response:
    page = max(1, min(page, 100_000))
    async with school_page(request, uai) as (session, conn, school):
        pending = await absences.pending_page(conn, school["uai"], page, PAGE_SIZE)
        unconfirmed = await resolution.unconfirmed_page(conn, school["uai"], PAGE_SIZE, 0)
    zone = ZoneInfo(school["time_zone"])
    to_check = [
        {
            **item,
            "event": event_label(item["starts_at"], item["ends_at"], school["time_zone"]),
            "pupil_name": f"{item['last_name']} {item['first_name']}",
            "diffused": item["diffused_at"].astimezone(zone).strftime("%d/%m/%Y à %H:%M")
            if item["diffused_at"]
            else "",
        }
        for item in unconfirmed["items"]
    ]
    total = pending["count"]
    pending["pagination"]["pages"] = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "pending.html",
        {
            "title": "SMS à diffuser",
            "school": school,
            "pending": pending,
            "unconfirmed": to_check,
            "unconfirmed_count": unconfirmed["count"],
        },
        session=session,
    )


@router.post("/e/{uai}/sms-a-diffuser")
async def pending_choose(request: Request, uai: str) -> Response:
    """The confirmation page: how many SMS leave (or are deleted) if the user confirms."""
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ("ids", "delete_ids", "all", "op"))
        op = first(values, "op")
        everything = first(values, "all") == "1" and op == "diffuse"
        ids = values.get("ids" if op == "diffuse" else "delete_ids", [])
        total = (await absences.pending_page(conn, school["uai"], 1, 1))["count"]
    count = total if everything else len(set(ids))
    if op not in ("diffuse", "delete") or count == 0:
        what = "à diffuser" if op == "diffuse" else "à supprimer"
        return redirect(
            f"/e/{school['uai']}/sms-a-diffuser",
            f"Aucun SMS sélectionné {what} : cocher au moins une ligne.",
        )
    return render(
        request,
        "pending_confirm.html",
        {
            "title": "SMS à diffuser",
            "school": school,
            "op": op,
            "all": everything,
            "ids": sorted(set(ids)),
            "count": count,
        },
        session=session,
    )


@router.post("/e/{uai}/sms-a-diffuser/confirmer")
async def pending_confirmed(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ("ids", "all", "op"))
        op = first(values, "op")
        try:
            ids = [UUID(i) for i in values.get("ids", [])]
        except ValueError:
            ids = []
        everything = first(values, "all") == "1"
        try:
            if op == "diffuse":
                result = await absences.diffuse(
                    conn, school["uai"], None if everything else ids, session.principal.subject
                )
                n = len(result["diffused"])
                message = (
                    f"{n} SMS diffusé(s) : ils partent vers l'opérateur. "
                    "Suivre leur état dans « Suivi des SMS »."
                )
                for stop in result.get("stopped", []):
                    message += (
                        f" SMS pour {stop['pupil_name']} ({stop['recipient']}) "
                        f"{stop['state_label']} : {stop['reason']}"
                    )
                if result["not_pending"]:
                    message += (
                        f" {len(result['not_pending'])} n'étai(en)t plus en attente "
                        "(déjà diffusé(s) ou supprimé(s))."
                    )
            elif op == "delete" and ids:
                result = await absences.delete_pending(
                    conn, school["uai"], ids, actor=session.principal.subject
                )
                message = f"{result['deleted']} SMS supprimé(s)."
            else:
                message = "Aucun SMS sélectionné : cocher au moins une ligne."
        except DomainError as exc:
            message = exc.message
    if op == "diffuse":
        resources(request).relay.wake()
    return redirect(f"/e/{school['uai']}/sms-a-diffuser", message)


DECISIONS = {
    "resend": "renvoyé(s) : ils repartent vers l'opérateur",
    "keep_as_sent": "considéré(s) comme envoyé(s), sans accusé de réception",
}


@router.post("/e/{uai}/sms-a-verifier")
async def unconfirmed_decide(request: Request, uai: str) -> Response:
    """ "Renvoyer" or "Considérer comme envoyé" for the SMS "à vérifier" ticked."""
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ("sms_ids", "decision"))
        decision = first(values, "decision")
        try:
            ids = [UUID(i) for i in values.get("sms_ids", [])]
        except ValueError:
            ids = []
        if decision not in DECISIONS or not ids:
            message = "Aucun SMS « à vérifier » sélectionné : cocher au moins une ligne."
            answer = None
        else:
            answer = await resolution.resolve(
                conn,
                school["uai"],
                ids,
                "resend" if decision == "resend" else "keep_as_sent",
                actor=session.principal.subject,
            )
            done = sum(1 for r in answer["results"] if r["ok"])
            message = f"{done} SMS {DECISIONS[decision]}."
            refused = [r["message"] for r in answer["results"] if not r["ok"]]
            if refused:
                message += " " + " ".join(sorted(set(refused)))
    if answer is not None:
        resources(request).relay.wake()
    return redirect(f"/e/{school['uai']}/sms-a-diffuser", message)

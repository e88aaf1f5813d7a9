"""Élèves: the pupils by division with their guardians, partly masked mobile numbers, and whether
each may receive an SMS (and why not)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app.directory import eligible, ineligible_reason
from events.domain.phones import mask
from events.ui import queries
from events.ui.common import school_page
from events.ui.web import render

router = APIRouter()
PAGE_SIZE = 50


@router.get("/e/{uai}/eleves")
async def pupils_page(
    request: Request, uai: str, division: str = "", q: str = "", page: int = 1
) -> Response:
    page = max(1, min(page, 100_000))
    async with school_page(request, uai) as (session, conn, school):
        divisions = await queries.divisions(conn, school["uai"])
        total, pupils = await queries.pupils_page(
            conn,
            school["uai"],
            division or None,
            q.strip()[:100] or None,
            PAGE_SIZE,
            (page - 1) * PAGE_SIZE,
        )
        recipients = await queries.recipients_of_pupils(
            conn, school["uai"], [p["id"] for p in pupils]
        )
    for pupil in pupils:
        pupil["recipients"] = [
            {
                **r,
                "mobile_masked": mask(r["mobile"]) if r["mobile"] else None,
                "eligible": eligible(r),
                "ineligible_reason": ineligible_reason(r),
            }
            for r in recipients.get(pupil["id"], [])
        ]
    first = (page - 1) * PAGE_SIZE + 1 if pupils else 0
    last = first + len(pupils) - 1 if pupils else 0
    query = "&".join(f"{k}={v}" for k, v in (("division", division), ("q", q)) if v)
    return render(
        request,
        "pupils.html",
        {
            "title": "Élèves",
            "school": school,
            "divisions": divisions,
            "division": division,
            "q": q,
            "pupils": pupils,
            "pagination": {
                "page": page,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "label": f"Enregistrement(s) {first} à {last}, sur {total} trouvé(s)",
            },
            "page_url": f"/e/{school['uai']}/eleves?" + (query + "&" if query else ""),
            "report": None,
        },
        session=session,
    )

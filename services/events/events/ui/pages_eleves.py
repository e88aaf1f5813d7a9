"""Élèves: the SIECLE import and its summary; the pupils by division with their guardians,
partly masked mobile numbers, and whether each may receive an SMS (and why not)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import directory, imports
from events.domain.errors import DomainError
from events.domain.siecle_xml import Limits
from events.ui import queries
from events.ui.common import school_page
from events.ui.web import FileTooLarge, host, read_uploads, render

router = APIRouter()
PAGE_SIZE = 50
UPLOAD_FIELDS = ("eleves", "responsables")


async def _page(
    request: Request,
    uai: str,
    *,
    division: str = "",
    q: str = "",
    page: int = 1,
    report: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    page = max(1, min(page, 100_000))
    async with school_page(request, uai) as (session, conn, school):
        divisions = await directory.list_divisions(conn, school["uai"])
        listing = await directory.pupils_page(
            conn,
            school["uai"],
            page,
            PAGE_SIZE,
            division=division or None,
            search=q.strip()[:100] or None,
        )
        recipients = await queries.recipients_of_pupils(
            conn, school["uai"], [p["id"] for p in listing["items"]]
        )
        history = await imports.import_history(conn, school["uai"], 1)
    pupils = [
        {
            **p,
            "recipients": [directory.recipient_view(r) for r in recipients.get(p["id"], [])],
        }
        for p in listing["items"]
    ]
    total = listing["count"]
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
            "report": report,
            "last_import": history[0] if history else None,
        },
        session=session,
        status_code=status_code,
    )


@router.get("/e/{uai}/eleves")
async def pupils_page(
    request: Request, uai: str, division: str = "", q: str = "", page: int = 1
) -> Response:
    return await _page(request, uai, division=division, q=q, page=page)


@router.post("/e/{uai}/eleves/import")
async def siecle_import(request: Request, uai: str) -> Response:
    """The SIECLE exports (pupils and/or guardians, .xml or .zip) and the import summary."""
    limit: int = host(request).state.import_max_bytes
    async with school_page(request, uai) as (session, conn, school):
        try:
            uploads = await read_uploads(request, session, UPLOAD_FIELDS, limit)
            report = await imports.import_siecle(
                conn, school["uai"], uploads, actor=session.principal.subject, limits=Limits(limit)
            )
        except FileTooLarge as exc:
            report = {"error": exc.message}
        except DomainError as exc:
            report = {"error": exc.message}
    return await _page(request, uai, report=report, status_code=422 if "error" in report else 200)

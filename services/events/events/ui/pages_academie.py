"""The académie's screens: its schools (green light, bulk import, each operator's status) and the
académie-wide synthesis (read from reporting's API with the user's token)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import provisioning, schools
from events.app.schools import Policy
from events.entrypoints.common import schools_tx
from events.ui import queries
from events.ui.common import UAI_FORMAT, catalog
from events.ui.pages_suivi import UNAVAILABLE, _error_of, reporting
from events.ui.web import (
    FileTooLarge,
    academie_session,
    host,
    read_form,
    read_uploads,
    redirect,
    render,
    resources,
)
from shared.db.pool import tenant_transaction

router = APIRouter()
PAGE_SIZE = 50


@router.get("/academie")
async def schools_page(request: Request, q: str = "", page: int = 1) -> Response:
    session = academie_session(request)
    page = max(1, min(page, 100_000))
    async with tenant_transaction(resources(request).pool, (), readonly=True) as conn:
        total, rows = await queries.schools_overview(
            conn, q.strip()[:100] or None, PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
    first = (page - 1) * PAGE_SIZE + 1 if rows else 0
    last = first + len(rows) - 1 if rows else 0
    pagination = {
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "label": f"Enregistrement(s) {first} à {last}, sur {total} trouvé(s)",
    }
    return render(
        request,
        "academie.html",
        {
            "title": "Établissements de l'académie",
            "schools": rows,
            "q": q,
            "pagination": pagination,
            "page_url": "/academie?" + (f"q={q}&" if q else ""),
            "report": None,
        },
        session=session,
    )


@router.post("/academie/feu-vert")
async def green_light(request: Request) -> Response:
    session = academie_session(request)
    values = await read_form(request, session, ("uais", "op"))
    uais = sorted(
        {u.strip().upper() for u in values.get("uais", []) if UAI_FORMAT.match(u.upper())}
    )
    op = (values.get("op") or [""])[0]
    if not uais or op not in ("enable", "disable"):
        return redirect("/academie", "Aucun établissement sélectionné : cocher au moins une ligne.")
    async with schools_tx(resources(request), uais) as conn:
        results = await schools.set_green_light(
            conn,
            uais,
            op == "enable",
            await catalog(request, conn),
            actor=session.principal.subject,
        )
    resources(request).relay.wake()
    done = sum(1 for r in results if r["status"] in ("enabled", "disabled"))
    verb = "donné" if op == "enable" else "retiré"
    return redirect("/academie", f"Feu vert {verb} à {done} établissement(s) sur {len(uais)}.")


@router.post("/academie/import")
async def import_schools(request: Request) -> Response:
    session = academie_session(request)
    limit: int = host(request).state.import_max_bytes
    try:
        uploads = await read_uploads(request, session, ("fichier",), limit)
    except FileTooLarge as exc:
        return await _with_report(request, session, {"error": exc.message})
    upload = uploads[0] if uploads else None
    if upload is None:
        return await _with_report(request, session, {"error": "Choisir le fichier CSV à importer."})
    lines, errors = provisioning.parse(upload[1])
    policy: Policy = host(request).state.policy
    async with schools_tx(resources(request), {line.uai for line in lines}) as conn:
        answer = await provisioning.import_schools(
            conn,
            lines,
            errors,
            await catalog(request, conn),
            actor=session.principal.subject,
            policy=policy,
        )
    resources(request).relay.wake()
    return await _with_report(request, session, {"file": upload[0], **answer})


async def _with_report(request: Request, session: Any, report: dict[str, Any]) -> Response:
    async with tenant_transaction(resources(request).pool, (), readonly=True) as conn:
        total, rows = await queries.schools_overview(conn, None, PAGE_SIZE, 0)
    return render(
        request,
        "academie.html",
        {
            "title": "Établissements de l'académie",
            "schools": rows,
            "q": "",
            "pagination": {
                "page": 1,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "label": f"Enregistrement(s) 1 à {len(rows)}, sur {total} trouvé(s)",
            },
            "page_url": "/academie?",
            "report": report,
        },
        session=session,
        status_code=422 if report.get("error") else 200,
    )


@router.get("/academie/synthese")
async def synthesis(request: Request, annee: str = "") -> Response:
    session = academie_session(request)
    context: dict[str, Any] = {"title": "Synthèse académique", "error": None, "synthesis": None}
    params = {"school_year": annee} if annee.strip().isdigit() else {}
    async with reporting(request, session) as api:
        try:
            answer = await api.get("/api/v1/academie/sms/synthesis", params=params)
            if answer.status_code == 200:
                context["synthesis"] = answer.json()
            else:
                context["error"] = _error_of(answer)
        except httpx.HTTPError:
            context["error"] = UNAVAILABLE
    return render(request, "academie_synthesis.html", context, session=session)

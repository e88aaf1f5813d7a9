"""Envoi aux familles › Suivi des SMS: the four tabs, read from reporting's API with the user's
own token (reporting checks it like any other caller), "Mettre à jour" and the CSV export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from events.ui.common import school_page
from events.ui.web import Session, read_form, redirect, render
from shared.states import DELIVERED, IN_PROGRESS, INVALID_OR_UNDELIVERED, SmsState

router = APIRouter()

# onglet (French, in the URL) → reporting's tab, label, states offered in the "État" filter.
TABS: dict[str, tuple[str, str, frozenset[SmsState]]] = {
    "suivi": ("all", "Suivi des SMS", IN_PROGRESS | DELIVERED | INVALID_OR_UNDELIVERED),
    "delivres": ("delivered", "SMS délivrés", DELIVERED),
    "invalides": ("invalid_or_undelivered", "SMS invalides ou non remis", INVALID_OR_UNDELIVERED),
}
SYNTHESIS = "synthese"
UNAVAILABLE = (
    "Le suivi des SMS est momentanément indisponible : réessayer dans quelques instants. "
    "Les SMS diffusés continuent d'être envoyés et suivis."
)
FILTERS = ("division", "eleve", "action", "etat", "du", "au")


def reporting(request: Request, session: Session) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=request.app.state.reporting_url,
        headers={"Authorization": f"Bearer {session.token}"},
        timeout=10,
    )


def _error_of(answer: httpx.Response) -> str:
    try:
        error = answer.json().get("error", {})
        return str(error.get("message") or UNAVAILABLE)
    except ValueError:
        return UNAVAILABLE


def _query(filters: dict[str, str]) -> dict[str, str]:
    """Our French filter names → reporting's query parameters (blank ones left out)."""
    names = {
        "division": "division",
        "eleve": "pupil",
        "action": "action",
        "etat": "state",
        "du": "from",
        "au": "to",
    }
    return {names[k]: v for k, v in filters.items() if v}


@router.get("/e/{uai}/suivi")
async def tracking_page(
    request: Request, uai: str, onglet: str = "suivi", page: int = 1
) -> Response:
    if onglet not in TABS and onglet != SYNTHESIS:
        onglet = "suivi"
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in FILTERS}
    async with school_page(request, uai) as (session, _conn, school):
        pass
    context: dict[str, Any] = {
        "title": "Suivi des SMS",
        "school": school,
        "tabs": [(key, label) for key, (_, label, _) in TABS.items()]
        + [(SYNTHESIS, "Synthèse SMS")],
        "onglet": onglet,
        "filters": filters,
        "error": None,
    }
    async with reporting(request, session) as api:
        try:
            if onglet == SYNTHESIS:
                year = request.query_params.get("annee", "").strip()
                params = {"school_year": year} if year.isdigit() else {}
                answer = await api.get(
                    f"/api/v1/schools/{school['uai']}/sms/synthesis", params=params
                )
                if answer.status_code == 200:
                    context["synthesis"] = answer.json()
                else:
                    context["error"] = _error_of(answer)
            else:
                tab, _, states = TABS[onglet]
                context["states"] = sorted(states, key=lambda s: s.rank)
                params = {"tab": tab, "page": str(max(1, page)), **_query(filters)}
                answer = await api.get(f"/api/v1/schools/{school['uai']}/sms", params=params)
                if answer.status_code == 200:
                    context["listing"] = answer.json()
                else:
                    context["error"] = _error_of(answer)
                context["export_url"] = f"/e/{school['uai']}/suivi/export.csv?" + urlencode(
                    {"onglet": onglet, **{k: v for k, v in filters.items() if v}}
                )
                context["page_url"] = (
                    f"/e/{school['uai']}/suivi?"
                    + urlencode({"onglet": onglet, **{k: v for k, v in filters.items() if v}})
                    + "&"
                )
        except httpx.HTTPError:
            context["error"] = UNAVAILABLE
    return render(request, "tracking.html", context, session=session)


@router.post("/e/{uai}/suivi/mettre-a-jour")
async def refresh(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, _conn, school):
        values = await read_form(request, session, ("onglet",))
    onglet = (values.get("onglet") or ["suivi"])[0]
    back = f"/e/{school['uai']}/suivi?onglet={onglet if onglet in TABS else 'suivi'}"
    async with reporting(request, session) as api:
        try:
            answer = await api.post(f"/api/v1/schools/{school['uai']}/sms/refresh", json={})
        except httpx.HTTPError:
            return redirect(back, UNAVAILABLE)
    if answer.status_code >= 300:
        return redirect(back, _error_of(answer))
    n = answer.json().get("requested", 0)
    return redirect(
        back,
        f"Mise à jour demandée pour {n} SMS en cours d'acheminement : "
        "les états s'actualisent dans quelques secondes.",
    )


@router.get("/e/{uai}/suivi/export.csv")
async def export(request: Request, uai: str, onglet: str = "suivi") -> Response:
    async with school_page(request, uai) as (session, _conn, school):
        pass
    tab = TABS.get(onglet, TABS["suivi"])[0]
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in FILTERS}
    client = reporting(request, session)
    upstream = client.build_request(
        "GET",
        f"/api/v1/schools/{school['uai']}/sms/export",
        params={"tab": tab, **_query(filters)},
    )
    try:
        answer = await client.send(upstream, stream=True)
    except httpx.HTTPError:
        await client.aclose()
        return redirect(f"/e/{school['uai']}/suivi?onglet={onglet}", UNAVAILABLE)
    if answer.status_code != 200:
        await answer.aread()
        await answer.aclose()
        await client.aclose()
        return redirect(f"/e/{school['uai']}/suivi?onglet={onglet}", _error_of(answer))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_bytes():
                yield chunk
        finally:
            await answer.aclose()
            await client.aclose()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": answer.headers.get(
                "content-disposition", 'attachment; filename="suivi-sms.csv"'
            )
        },
    )

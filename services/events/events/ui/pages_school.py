"""A school's home and its "Paramétrages": Fournisseur de services, Actions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from events.app import absences, alerts, directory, provider_check, providers
from events.app.operators import offered
from events.domain.errors import DomainError
from events.entrypoints.common import operator_adapters
from events.settings import EventsSettings
from events.ui import queries
from events.ui.common import catalog, field_errors, school_page
from events.ui.web import first, host, read_form, redirect, render, resources
from shared.states import SmsState

router = APIRouter()


@router.get("/e/{uai}/")
async def home(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        zone = ZoneInfo(school["time_zone"])
        midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        pending = await absences.pending_page(conn, school["uai"], 1, 1)
        by_state = await queries.sms_since_by_state(conn, school["uai"], midnight)
        health = await providers.provider_health(conn, school["uai"])
        provider = await providers.provider_view(conn, school["uai"])
        overdue = await alerts.alerts_page(conn, school["uai"], datetime.now(UTC), 1, 10)
    today = [
        {"label": SmsState(state).label_fr, "count": n}
        for state, n in sorted(by_state.items(), key=lambda kv: SmsState(kv[0]).label_fr)
    ]
    return render(
        request,
        "home.html",
        {
            "title": "Accueil",
            "school": school,
            "pending": pending["count"],
            "today": today,
            "today_total": sum(by_state.values()),
            "banner": health.get("banner"),
            "provider": provider,
            "alerts": _alerts(school, provider),
            "overdue": overdue,
        },
        session=session,
    )


def _alerts(school: dict[str, Any], provider: dict[str, Any]) -> list[str]:
    found = []
    if not school["sms_enabled"]:
        found.append(
            "L'envoi de SMS n'est pas encore autorisé : l'académie doit d'abord donner son "
            "feu vert."
        )
    elif provider["provider_code"] is None:
        found.append(
            "Aucun fournisseur de service n'est configuré : le choisir dans Paramétrages › "
            "Fournisseur de services avant de diffuser des SMS."
        )
    return found


# ---- Paramétrages › Fournisseur de services ---------------------------------------------------

PROVIDER_FIELDS = (
    "provider_code",
    "key",
    "password",
    "option1",
    "option2",
    "ca_approved_on",
    "ca_reference",
)
PROVIDER_ERROR_FIELDS = {
    "unknown_provider": "provider_code",
    "sms_not_enabled": "provider_code",
    "password_required": "password",
    "ca_approval_required": "ca_reference",
    "ca_approval_in_future": "ca_approved_on",
}


async def _provider_page(
    request: Request,
    uai: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    test_result: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        current = await providers.provider_view(conn, school["uai"])
        health = await providers.provider_health(conn, school["uai"])
        known = await catalog(request, conn)
        settings: EventsSettings = host(request).state.settings
        receipt_url = await providers.receipt_url(
            conn, school["uai"], known, resources(request).box, settings.receipts_base_url
        )
    entries = offered(known)
    form = values or {
        "provider_code": current["provider_code"] or "",
        "key": current["key"] or "",
        "option1": current["option1"] or "",
        "option2": current["option2"] or "",
        "ca_approved_on": current["ca_approved_on"] or "",
        "ca_reference": current["ca_reference"] or "",
    }
    selected = known.get(form["provider_code"] or "")
    return render(
        request,
        "provider.html",
        {
            "title": "Fournisseur de services",
            "school": school,
            "entries": entries,
            "current": current,
            "form": form,
            "selected": selected,
            "errors": errors or {},
            "test_result": test_result,
            "receipt_url": receipt_url,
            "banner": health.get("banner"),
        },
        session=session,
        status_code=status_code,
    )


@router.get("/e/{uai}/parametrages/fournisseur")
async def provider_page(request: Request, uai: str) -> Response:
    return await _provider_page(request, uai)


@router.post("/e/{uai}/parametrages/fournisseur")
async def provider_save(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, PROVIDER_FIELDS)
        form = {name: first(values, name) for name in PROVIDER_FIELDS if name != "password"}
        errors: dict[str, str] = {}
        approved_on = None
        if form["ca_approved_on"]:
            try:
                approved_on = date.fromisoformat(form["ca_approved_on"])
            except ValueError:
                errors["ca_approved_on"] = "Date invalide : la saisir au format JJ/MM/AAAA."
        password = (values.get("password") or [""])[0]
        if not errors:
            try:
                await providers.save_provider(
                    conn,
                    school["uai"],
                    {
                        "provider_code": form["provider_code"] or None,
                        "key": form["key"] or None,
                        "password": password or None,
                        "option1": form["option1"] or None,
                        "option2": form["option2"] or None,
                        "ca_approved_on": approved_on,
                        "ca_reference": form["ca_reference"] or None,
                    },
                    await catalog(request, conn),
                    resources(request).box,
                    actor=session.principal.subject,
                )
            except DomainError as exc:
                errors = field_errors(exc, PROVIDER_ERROR_FIELDS, "provider_code")
    if errors:
        return await _provider_page(request, uai, values=form, errors=errors, status_code=422)
    _wake(request)
    return redirect(
        f"/e/{school['uai']}/parametrages/fournisseur",
        "Paramètres du fournisseur de service enregistrés.",
    )


def _wake(request: Request) -> None:
    resources(request).relay.wake()


@router.post("/e/{uai}/parametrages/fournisseur/tester")
async def provider_test(request: Request, uai: str) -> Response:
    """ "Tester": the form's values (the stored password when left empty) tried on the operator,
    before or after saving them."""
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, PROVIDER_FIELDS)
        form = {name: first(values, name) for name in PROVIDER_FIELDS if name != "password"}
        password = (values.get("password") or [""])[0]
        given = {
            "provider_code": form["provider_code"] or None,
            "key": form["key"] or None,
            "option1": form["option1"] or None,
            "option2": form["option2"] or None,
        }
        if password:
            given["password"] = password
        try:
            prepared = await provider_check.prepare_check(
                conn, school["uai"], given, await catalog(request, conn), resources(request).box
            )
        except DomainError as exc:
            errors = field_errors(exc, PROVIDER_ERROR_FIELDS, "provider_code")
            prepared = None
    if prepared is None:
        return await _provider_page(request, uai, values=form, errors=errors, status_code=422)
    result = await provider_check.run_check(
        prepared, operator_adapters(request, resources(request))
    )
    async with school_page(request, uai) as (session, conn, school):
        await provider_check.record_check(
            conn, school["uai"], result, actor=session.principal.subject
        )
    return await _provider_page(request, uai, values=form, test_result=result)


# ---- Paramétrages › Actions -------------------------------------------------------------------

ACTION_FIELDS = ("code", "label", "response_delay_days", "template", "contact_phone")


@router.get("/e/{uai}/parametrages/actions")
async def actions_page(request: Request, uai: str) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        actions = await directory.list_actions(conn, school["uai"])
    return render(
        request,
        "actions.html",
        {"title": "Actions", "school": school, "actions": actions},
        session=session,
    )


async def _action_form(
    request: Request,
    uai: str,
    action_id: UUID | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        action = await directory.get_action(conn, school["uai"], action_id) if action_id else None
    form = values or {
        "code": action["code"] if action else "",
        "label": action["label"] if action else "",
        "response_delay_days": action["response_delay_days"] if action else 1,
        "template": action["template"] if action else "",
        "contact_phone": action["contact_phone"] or "" if action else "",
    }
    return render(
        request,
        "action_form.html",
        {
            "title": "Modification d'une action" if action else "Création d'une action",
            "school": school,
            "action": action,
            "form": form,
            "errors": errors or {},
        },
        session=session,
        status_code=status_code,
    )


@router.get("/e/{uai}/parametrages/actions/nouvelle")
async def action_new(request: Request, uai: str) -> Response:
    return await _action_form(request, uai, None)


@router.get("/e/{uai}/parametrages/actions/{action_id}")
async def action_edit(request: Request, uai: str, action_id: UUID) -> Response:
    return await _action_form(request, uai, action_id)


@router.post("/e/{uai}/parametrages/actions/nouvelle")
async def action_create(request: Request, uai: str) -> Response:
    return await _action_save(request, uai, None)


@router.post("/e/{uai}/parametrages/actions/{action_id}")
async def action_update(request: Request, uai: str, action_id: UUID) -> Response:
    return await _action_save(request, uai, action_id)


async def _action_save(request: Request, uai: str, action_id: UUID | None) -> Response:
    async with school_page(request, uai) as (session, conn, school):
        values = await read_form(request, session, ACTION_FIELDS)
        form = {name: first(values, name) for name in ACTION_FIELDS}
        errors: dict[str, str] = {}
        try:
            delay: int | None = int(form["response_delay_days"])
        except ValueError:
            delay = None
            errors["response_delay_days"] = (
                "Le délai de réponse avant alerte est un nombre entier de jours."
            )
        if not errors:
            payload = {**form, "response_delay_days": delay, "provider_account_code": 0}
            try:
                if action_id is None:
                    await directory.create_action(
                        conn, school["uai"], payload, actor=session.principal.subject
                    )
                else:
                    await directory.update_action(
                        conn, school["uai"], action_id, payload, actor=session.principal.subject
                    )
            except DomainError as exc:
                errors = field_errors(exc, {"action_exists": "code"}, "code")
    if errors:
        return await _action_form(
            request, uai, action_id, values=form, errors=errors, status_code=422
        )
    return redirect(f"/e/{school['uai']}/parametrages/actions", "Action enregistrée.")

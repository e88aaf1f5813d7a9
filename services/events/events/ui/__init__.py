"""The staff web interface, in French, server-rendered by the events service.

It is a sub-application mounted under "/" after the API routes: its pages answer a browser (a
sign-in redirect, HTML refusals) where the API answers programs (JSON 401/403). It calls the
events use cases in-process and reads "Suivi des SMS" from reporting's API with the user's token.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from events.settings import EventsSettings
from events.ui import (
    pages_absence,
    pages_academie,
    pages_auth,
    pages_diffusion,
    pages_eleves,
    pages_envoi,
    pages_school,
    pages_suivi,
)
from events.ui.signin import LocalAuthenticator, Lockout, SourceThrottle
from events.ui.web import HERE, install_page_errors
from shared.settings import Profile


class _PoolOfHost:
    """The host application's pool, which exists only once its lifespan has started."""

    def __init__(self, host: FastAPI) -> None:
        self._host = host

    def acquire(self) -> Any:
        return self._host.state.resources.pool.acquire()


def install(app: FastAPI, settings: EventsSettings) -> None:
    """Mount the web interface's pages and static files on the events application."""
    ui = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    ui.state.host = app
    ui.state.secure_cookies = settings.profile not in (Profile.LOCAL, Profile.TEST)
    ui.state.session_hours = settings.session_hours
    # "Tester" shares the API's operator adapters (built on first use, closed with the service).
    ui.state.operator_adapters_factory = app.state.operator_adapters_factory
    ui.state.reporting_url = settings.reporting_base_url.rstrip("/")
    ui.state.authenticator = LocalAuthenticator(
        _PoolOfHost(app),
        Lockout(settings.sign_in_max_failures, settings.sign_in_lockout_minutes),
    )
    ui.state.sign_in_throttle = SourceThrottle(
        settings.sign_in_max_failures_per_source, window_s=15 * 60
    )
    install_page_errors(ui)
    ui.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        pages_auth,
        pages_diffusion,
        pages_school,
        pages_eleves,
        pages_envoi,
        pages_absence,
        pages_suivi,
        pages_academie,
    ):
        ui.include_router(module.router)
    app.mount("/", ui, name="ui")

"""Every page of the web interface, enumerated from the interface itself, sends a browser without
a session to the sign-in page and refuses another school's user, showing nothing of the school.

A page added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from support.events_api import UAI, Api, seed_school
from ui_support import Browser, csrf_of

# Pages open without a session, each for a reason: signing in and out, the way in.
PUBLIC = {"/", "/connexion", "/deconnexion"}
SECRETS_OF_A = ("Victor Hugo", "MARTIN", "Léa", "+33600000001")


def ui_app(app: FastAPI) -> FastAPI:
    mounted = next(r for r in app.routes if getattr(r, "name", None) == "ui")
    found: FastAPI = mounted.app  # type: ignore[attr-defined]
    return found


def pages(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every page, walking included routers (FastAPI keeps them nested)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                path = prefix + route.path
                if path not in PUBLIC:
                    found.extend((method, path) for method in sorted(route.methods))
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(ui_app(app).routes, "")
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return UAI if name == "uai" else ids.get(name, str(uuid.uuid4()))

    return re.sub(r"\{(\w+)\}", value, path)


async def test_every_page_sends_strangers_to_sign_in_and_refuses_another_school(
    ui: tuple[Api, Any], browser: Browser
) -> None:
    api, app = ui
    seeded = await seed_school(api)
    ids = {"absence_id": str(seeded["absence"]["id"]), "action_id": str(seeded["action"]["id"])}
    found = pages(app)
    assert len(found) >= 20, found
    for method, template in found:
        url = fill(template, ids)
        anonymous = await browser.client.request(method, url)
        assert anonymous.status_code == 303, (method, template, anonymous.text[:200])
        assert anonymous.headers["location"].startswith("/connexion")
    await browser.sign_in("cpe@b")
    token = csrf_of(await browser.get("/connexion?suite=/nulle-part", follow_redirects=True))
    for method, template in found:
        url = fill(template, ids)
        answer = await browser.client.request(
            method, url, data={"csrf_token": token} if method == "POST" else None
        )
        school_page = "{uai}" in template or template.startswith("/academie")
        if school_page:
            assert answer.status_code == 403, (method, template, answer.status_code)
        for secret in SECRETS_OF_A:
            assert secret not in answer.text, (method, template, secret)

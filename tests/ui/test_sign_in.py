"""Signing in: the session cookie, wrong passwords, the lockout, the way back to the asked page."""

from __future__ import annotations

from typing import Any

import pytest
from support.events_api import UAI, Api, seed_school
from ui_support import Browser, add_account, running_ui

from events.ui.signin import SourceThrottle
from shared.auth import Role
from shared.auth.http import SESSION_COOKIE


async def test_a_page_without_a_session_sends_to_the_sign_in_page_and_back_after_it(
    browser: Browser,
) -> None:
    page = await browser.get(f"/e/{UAI}/sms-a-diffuser")
    assert page.status_code == 303
    assert page.headers["location"] == f"/connexion?suite=/e/{UAI}/sms-a-diffuser"
    form = await browser.get(page.headers["location"])
    assert 'value="/e/0750001A/sms-a-diffuser"' in form.text
    from ui_support import PASSWORD, csrf_of

    signed = await browser.client.post(
        "/connexion",
        data={
            "csrf_token": csrf_of(form),
            "login": "CPE@A",
            "password": PASSWORD,
            "suite": f"/e/{UAI}/sms-a-diffuser",
        },
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/e/{UAI}/sms-a-diffuser"


async def test_the_session_cookie_is_http_only_and_same_site(browser: Browser) -> None:
    signed = await browser.sign_in("cpe@a")
    cookie = next(
        c for c in signed.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert signed.headers["location"] == f"/e/{UAI}/"


async def test_a_wrong_password_is_refused_with_a_french_message_next_to_the_field(
    browser: Browser,
) -> None:
    answer = await browser.sign_in("cpe@a", "not the password")
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in answer.text
    assert 'id="password-erreur"' in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


async def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(browser: Browser) -> None:
    unknown = await browser.sign_in("nobody@nowhere", "whatever password")
    wrong = await browser.sign_in("cpe@a", "whatever password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text.split("<main")[1] == wrong.text.split("<main")[1].replace(
        'value="cpe@a"', 'value="nobody@nowhere"'
    )


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    browser: Browser,
) -> None:
    for _ in range(5):
        await browser.sign_in("cpe@a", "wrong password!")
    locked = await browser.sign_in("cpe@a")
    assert locked.status_code == 401
    assert "verrouillé jusqu" in locked.text


async def test_an_unknown_login_locks_the_same_way_so_nothing_tells_it_apart(
    browser: Browser,
) -> None:
    answers = [await browser.sign_in("nobody@nowhere", "wrong password!") for _ in range(6)]
    known = [await browser.sign_in("cpe@a", "wrong password!") for _ in range(6)]
    for unknown, existing in zip(answers, known, strict=True):
        assert unknown.status_code == existing.status_code == 401
        assert ("verrouillé jusqu" in unknown.text) == ("verrouillé jusqu" in existing.text)
    assert "verrouillé jusqu" in answers[-1].text


async def test_a_sign_in_form_without_its_token_is_refused(browser: Browser) -> None:
    from ui_support import PASSWORD

    forged = await browser.client.post(
        "/connexion", data={"login": "cpe@a", "password": PASSWORD, "suite": ""}
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


async def test_a_redirect_after_sign_in_never_leaves_the_site(browser: Browser) -> None:
    from ui_support import PASSWORD, csrf_of

    form = await browser.get("/connexion")
    signed = await browser.client.post(
        "/connexion",
        data={
            "csrf_token": csrf_of(form),
            "login": "cpe@a",
            "password": PASSWORD,
            "suite": "//evil.example/",
        },
    )
    assert signed.headers["location"] == f"/e/{UAI}/"


async def test_signing_out_forgets_the_session(ui: tuple[Api, Any], browser: Browser) -> None:
    await seed_school(ui[0])
    await browser.sign_in("cpe@a")
    out = await browser.submit(f"/e/{UAI}/", "/deconnexion", {})
    assert out.status_code == 303
    assert (await browser.get(f"/e/{UAI}/")).status_code == 303


async def test_one_machine_trying_many_logins_is_slowed_down(isolation, topics) -> None:
    await topics()
    async with running_ui(isolation, sign_in_max_failures_per_source=3) as (_api, app):
        await add_account(app, "cpe@a", Role.STAFF, UAI)
        browser = Browser(app)
        try:
            for login in ("alice", "bob", "carol"):
                assert (await browser.sign_in(login, "guessed password")).status_code == 401
            slowed = await browser.sign_in("cpe@a")
            assert slowed.status_code == 429
            assert "Trop de tentatives de connexion depuis ce poste" in slowed.text
        finally:
            await browser.aclose()


def test_the_throttle_forgets_failures_older_than_its_window() -> None:
    throttle = SourceThrottle(2, window_s=60)
    throttle.failed("10.0.0.1", 0)
    throttle.failed("10.0.0.1", 1)
    assert throttle.blocked_for("10.0.0.1", 2) == pytest.approx(58)
    assert throttle.blocked_for("10.0.0.2", 2) == 0
    assert throttle.blocked_for("10.0.0.1", 61) == 0

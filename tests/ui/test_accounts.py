"""Local accounts: the `users add` command (through the demo seeding that uses it), password rules,
and hashes that never hold the password."""

from __future__ import annotations

import pytest
from ui_support import Browser, running_ui

from events.ui.passwords import hash_password, verify_password
from events.ui.staff_accounts import AccountError, save_account
from localinfra.demo import DEMO_UAI, seed_accounts
from shared.auth import Role


async def test_the_demo_accounts_made_by_the_command_can_sign_in(isolation, topics) -> None:
    await topics()
    settings = isolation.env()
    passwords = await seed_accounts({f"EVENTS_{k.upper()}": v for k, v in settings.items()})
    async with running_ui(isolation) as (_api, app):
        for login, home in (("cpe@demo", f"/e/{DEMO_UAI}/"), ("rectorat@demo", "/academie")):
            browser = Browser(app)
            try:
                signed = await browser.sign_in(login, passwords[login])
                assert signed.status_code == 303 and signed.headers["location"] == home
            finally:
                await browser.aclose()


async def test_running_the_command_again_replaces_the_password(isolation, topics) -> None:
    await topics()
    settings = {f"EVENTS_{k.upper()}": v for k, v in isolation.env().items()}
    first = await seed_accounts(settings)
    second = await seed_accounts(settings)
    async with running_ui(isolation) as (_api, app):
        browser = Browser(app)
        try:
            assert (await browser.sign_in("cpe@demo", first["cpe@demo"])).status_code == 401
            assert (await browser.sign_in("cpe@demo", second["cpe@demo"])).status_code == 303
        finally:
            await browser.aclose()


@pytest.mark.parametrize(
    ("login", "role", "uai", "password", "problem"),
    [
        ("cpe@a", Role.STAFF, None, "a long enough password", "UAI"),
        ("rectorat", Role.ACADEMIE_ADMIN, "0750001A", "a long enough password", "UAI"),
        ("cpe@a", Role.STAFF, "0750001A", "short", "12 caractères"),
        ("x", Role.STAFF, "0750001A", "a long enough password", "Identifiant invalide"),
        ("ops", Role.OPS, None, "a long enough password", "Rôle invalide"),
    ],
)
async def test_an_account_that_cannot_work_is_refused_with_the_reason(
    login: str, role: Role, uai: str | None, password: str, problem: str
) -> None:
    with pytest.raises(AccountError, match=problem):
        await save_account(None, login, role, uai, password)


def test_a_hash_holds_no_password_and_checks_only_the_right_one() -> None:
    hashed = hash_password("correct horse battery")
    assert "correct horse" not in hashed and hashed.startswith("scrypt$")
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("correct horse battery!", hashed)
    assert hash_password("correct horse battery") != hashed  # salted
    assert not verify_password("anything", "not-a-hash")

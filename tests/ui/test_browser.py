"""The seed's steps 1 to 5 in a real browser (Debian's Chromium driven by Playwright) on the whole
platform running as processes: the académie enables the school, the school configures the
simulator and presses Tester, creates the action, imports its SIECLE files, records an absence,
adds the SMS action for two guardians, diffuses, sees both SMS "délivré" after "Mettre à jour" and
counted in the synthesis; a second school's user sees none of it. Each screen is saved as a PNG
under `<basetemp>/screenshots` (or `$SMS_UI_SCREENSHOTS`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.running_platform import Platform, start_platform

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SIECLE = Path(__file__).resolve().parent / "siecle"
SCHOOL_A, SCHOOL_B = "0750001A", "0750002B"
PASSWORDS = {
    "rectorat@ac-test": "rectorat-mot-de-passe",
    "cpe@college-a": "cpe-a-mot-de-passe",
    "cpe@college-b": "cpe-b-mot-de-passe",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def platform(isolation, topics, logs_dir) -> AsyncIterator[Platform]:
    await topics()
    async for running in start_platform(isolation, logs_dir):
        yield running


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(
        os.environ.get("SMS_UI_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_accounts(isolation: Any) -> None:
    """Through the administration command, as an académie would."""
    settings = isolation.env(db_schema=f"{isolation.schema}_events")
    env = {**os.environ, **{f"EVENTS_{k.upper()}": v for k, v in settings.items()}}
    accounts = [
        ("rectorat@ac-test", "academie_admin", None),
        ("cpe@college-a", "staff", SCHOOL_A),
        ("cpe@college-b", "staff", SCHOOL_B),
    ]
    for login, role, uai in accounts:
        argv = [sys.executable, "-m", "events", "users", "add", "--login", login, "--role", role]
        argv += ["--uai", uai] if uai else []
        done = subprocess.run(
            [*argv, "--password-stdin"],
            input=PASSWORDS[login] + "\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr


class Screens:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def shot(self, page: Any, name: str) -> None:
        self.count += 1
        await page.screenshot(
            path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True
        )


async def sign_in(page: Any, base: str, login: str) -> None:
    await page.goto(f"{base}/connexion")
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(PASSWORDS[login])
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()


async def sign_in_with_the_keyboard(page: Any, base: str, login: str) -> None:
    """The sign-in form used without a mouse: the login field has the focus, Tab, Enter."""
    from playwright.async_api import expect

    await page.goto(f"{base}/connexion")
    # The page puts the focus on the login field itself; type only once it has.
    await expect(page.get_by_label("Identifiant")).to_be_focused()
    await page.keyboard.type(login)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORDS[login])
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()


def menu(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name=name, exact=True
    )


async def sign_out(page: Any) -> None:
    await page.get_by_role("button", name="Se déconnecter").click()
    await page.wait_for_load_state()


async def test_the_seeds_five_steps_in_a_browser_and_another_school_sees_none_of_it(
    platform: Platform, isolation: Any, tmp_path: Path, screenshots: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    base, simulator = platform.urls["events"], platform.urls["simulator"]
    add_accounts(isolation)
    async with httpx.AsyncClient(timeout=10) as sim:
        # The operator's side: the account the school contracted.
        answer = await sim.put(
            f"{simulator}/_control/accounts/college-a",
            json={"password": "mot-de-passe-operateur", "delivery_delay_s": 1.0},
        )
        answer.raise_for_status()
    csv_file = tmp_path / "etablissements.csv"
    csv_file.write_text(
        "UAI;nom;téléphone;adresse;territoire\n"
        f"{SCHOOL_A};Collège Victor Hugo;01 40 00 00 00;1 rue de l'École, Paris;metropole\n"
        f"{SCHOOL_B};Collège Jules Ferry;01 40 00 00 99;2 rue du Lycée, Paris;metropole\n",
        encoding="utf-8",
    )
    screens = Screens(screenshots)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(15_000)
        blocked: list[str] = []
        page.on(
            "console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None
        )

        # Step 1: the académie imports its schools and gives the green light to both.
        await sign_in(page, base, "rectorat@ac-test")
        await expect(
            page.get_by_role("heading", name="Établissements de l'académie")
        ).to_be_visible()
        await page.get_by_label("Fichier CSV").set_input_files(str(csv_file))
        await page.get_by_role("button", name="Importer").click()
        await expect(page.locator("#import-report")).to_contain_text("2 créé(s)")
        await page.get_by_label("tout sélectionner").check()
        await page.get_by_role("button", name="Donner le feu vert").click()
        await expect(page.locator(".flash")).to_contain_text("Feu vert donné à 2 établissement(s)")
        await expect(page.locator("#schools")).to_contain_text("Donné le")
        await screens.shot(page, "academie-feu-vert")
        await sign_out(page)

        # Step 2: the school chooses the simulator, presses Tester, then Valider.
        await sign_in(page, base, "cpe@college-a")
        await expect(page.get_by_role("heading", name="Accueil")).to_be_visible()
        await screens.shot(page, "accueil")
        await menu(page, "Fournisseur de services").click()
        await page.get_by_label("Nom du fournisseur de service").select_option("SIMULATEUR")
        await expect(page.locator("#key-sens")).to_have_text("Identifiant du compte simulé")
        await page.get_by_label("Clé d'identification").fill("college-a")
        await page.get_by_label("Mot de passe").fill("mot-de-passe-operateur")
        await page.get_by_role("button", name="Tester").click()
        await expect(page.locator("#test-result")).to_contain_text("Connexion réussie")
        await screens.shot(page, "fournisseur-tester")
        await page.get_by_label("Mot de passe").fill("mot-de-passe-operateur")
        await page.get_by_role("button", name="Valider").click()
        await expect(page.locator(".flash")).to_contain_text("enregistrés")

        # ... and creates the SMS action.
        await menu(page, "Actions").click()
        await page.get_by_role("link", name="Créer une action").click()
        await page.get_by_label("Libellé court *").fill("SMS")
        await page.get_by_label("Libellé long *").fill("ENVOI SMS")
        await page.get_by_label("Délai de réponse avant alerte").fill("1")
        await screens.shot(page, "modification-action")
        await page.get_by_role("button", name="Valider").click()
        await expect(page.locator(".flash")).to_contain_text("Action enregistrée.")
        await screens.shot(page, "actions")

        # The pupils and their guardians come from SIECLE.
        await menu(page, "Élèves").click()
        await page.get_by_label("Élèves (ElevesSansAdresses").set_input_files(
            str(SIECLE / "ElevesSansAdresses.xml")
        )
        await page.get_by_label("Responsables (ResponsablesAvecAdresses").set_input_files(
            str(SIECLE / "ResponsablesAvecAdresses.xml")
        )
        await page.get_by_role("button", name="Importer").click()
        await expect(page.locator("#import-report")).to_contain_text("Bilan de l'import")
        await expect(page.locator("#pupils")).to_contain_text("MARTIN Léa")
        await expect(page.locator("#pupils")).to_contain_text("+33 6 ** ** ** 01")
        await screens.shot(page, "eleves-import-siecle")

        # Step 3: Saisie d'un évènement, then "Ajouter une action" for two guardians.
        await menu(page, "Saisie d'un évènement").click()
        await page.get_by_label("Élève (nom ou prénom)").fill("martin")
        await page.get_by_role("button", name="Rechercher").click()
        await page.get_by_role("link", name="Saisir une absence pour Léa MARTIN").click()
        await page.get_by_label("Du").fill("2026-11-30")
        await page.get_by_label("heure de début").fill("08:30")
        await page.get_by_label("Au").fill("2026-11-30")
        await page.get_by_label("heure de fin").fill("12:30")
        await screens.shot(page, "saisie-absence")
        await page.get_by_role("button", name="Valider").click()
        await expect(page.locator(".flash")).to_contain_text("Absence enregistrée")
        form = page.locator("#add-action")
        await expect(form.get_by_label(re.compile("Correspondant n°1"))).to_be_disabled()
        await expect(form).to_contain_text("accepte les SMS")
        await form.get_by_label(re.compile("Légal 1 - Financier")).check()
        await expect(page.locator("[data-preview=sms_count]")).to_have_text("1")
        await form.get_by_label(re.compile("Légal 2")).check()
        await expect(page.locator("[data-preview=sms_count]")).to_have_text("2")
        await expect(page.locator("[data-preview=text]")).to_contain_text("Léa MARTIN")
        await screens.shot(page, "ajouter-une-action")
        await form.get_by_role("button", name="Valider").click()
        await expect(page.locator(".flash")).to_contain_text("2 SMS ajouté(s)")

        # Step 4: SMS à diffuser, tout sélectionner, Diffuser, confirmation.
        await menu(page, "SMS à diffuser").click()
        await expect(page.locator("#pending-count")).to_have_text(
            "Il y a actuellement 2 SMS en attente de diffusion"
        )
        await page.get_by_label("tout sélectionner").check()
        await screens.shot(page, "sms-a-diffuser")
        await page.get_by_role("button", name="Diffuser les SMS sélectionnés").click()
        await expect(page.locator("#confirm-text")).to_contain_text("2 SMS vont partir")
        await screens.shot(page, "confirmation-diffusion")
        await page.get_by_role("button", name="Confirmer la diffusion de 2 SMS").click()
        await expect(page.locator(".flash")).to_contain_text("2 SMS diffusé(s)")

        # Step 5: Suivi des SMS; "Mettre à jour" until both are délivré.
        await menu(page, "Suivi des SMS").click()
        await page.get_by_role("link", name="SMS délivrés").click()
        delivered = page.locator("#tracking tbody tr[data-state=delivered]")
        for _ in range(60):
            if await delivered.count() == 2:
                break
            await page.get_by_role("button", name="Mettre à jour").click()
            await page.wait_for_load_state()
            await page.wait_for_timeout(1000)
            if "onglet=delivres" not in page.url:
                await page.get_by_role("link", name="SMS délivrés").click()
        await expect(delivered).to_have_count(2)
        await expect(page.locator("#tracking")).to_contain_text("délivré")
        await screens.shot(page, "suivi-sms-delivres")
        async with page.expect_download() as download:
            await page.get_by_role("link", name="Exporter (CSV)").click()
        exported = (await (await download.value).path()).read_bytes().decode("utf-8")
        assert exported.startswith("\ufeffAction;Nom élève;Division")
        assert exported.count("délivré") >= 2 and "Légal 1 - Financier" in exported
        await page.get_by_role("link", name="Synthèse SMS").click()
        await expect(page.locator("#synthesis tfoot")).to_contain_text("Total Annuel")
        await expect(page.locator("#synthesis tfoot td").first).to_have_text("2")
        await screens.shot(page, "synthese-sms")
        await menu(page, "Saisie d'un évènement").click()
        await page.get_by_role(
            "link", name=re.compile("Actions et historique de MARTIN Léa")
        ).click()
        await expect(page.locator("#history li[data-state=delivered]")).to_have_count(2)
        await expect(page.locator("#history")).to_contain_text(
            re.compile(r"SMS - Légal 2 - \d\d/\d\d/\d{4} - délivré")
        )
        await screens.shot(page, "historique-des-actions")
        await menu(page, "Accueil").click()
        await screens.shot(page, "accueil-apres-diffusion")
        await page.set_viewport_size({"width": 820, "height": 1180})
        await menu(page, "Suivi des SMS").click()
        await page.get_by_role("link", name="SMS délivrés").click()
        await screens.shot(page, "tablette-suivi-des-sms")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await sign_out(page)

        # Another school's user (signing in with the keyboard only) sees none of it.
        await sign_in_with_the_keyboard(page, base, "cpe@college-b")
        await expect(page.get_by_role("heading", name="Accueil")).to_be_visible()
        await menu(page, "Suivi des SMS").click()
        await expect(page.locator("#tracking-count")).to_have_text("Il y a actuellement 0 SMS")
        await menu(page, "Élèves").click()
        await expect(page.locator("#pupils")).not_to_contain_text("MARTIN")
        await screens.shot(page, "autre-etablissement")
        for url in (f"/e/{SCHOOL_A}/", f"/e/{SCHOOL_A}/suivi", f"/e/{SCHOOL_A}/eleves"):
            answer = await page.goto(base + url)
            assert answer is not None and answer.status == 403
            await expect(page.locator("main")).to_contain_text("Accès refusé")
            await expect(page.locator("main")).not_to_contain_text("MARTIN")
        await screens.shot(page, "autre-etablissement-refus")
        await page.goto(base + "/academie")
        await expect(page.locator("main")).to_contain_text("Accès refusé")
        await sign_out(page)

        # The académie sees each school's operator and the académie-wide synthesis.
        await sign_in(page, base, "rectorat@ac-test")
        await expect(page.locator("#schools")).to_contain_text("SIMULATEUR")
        await menu(page, "Synthèse académique").click()
        await expect(page.locator("#synthesis tfoot td").first).to_have_text("2")
        await expect(page.locator("#by-school")).to_contain_text(SCHOOL_A)
        await screens.shot(page, "academie-synthese")
        await browser.close()
    assert not blocked, blocked
    assert screens.count >= 18

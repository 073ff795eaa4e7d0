"""Home, Espace Famille and Gestion du foyer in Chromium, on a desktop and on a phone."""

import re

import pytest

from tests import factories
from tests.browser.conftest import HOME, assert_no_serious_axe_violations, log_in, screenshot
from playwright.sync_api import expect




@pytest.fixture
def news(db):
    factories.NewsFactory(
        title="Menus de la restauration scolaire",
        body="Les menus du mois sont affichés à l'entrée des écoles.\n\nPensez à réserver deux jours ouvrés avant, à 10h00.",
    )
    factories.NewsFactory(title="Bienvenue sur votre Espace Famille")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_home_household_and_enrolments(request, device, family, news, transactional_db):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    log_in(page)
    expect(page.get_by_role("heading", name="Actualités", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Navigation principale")
    for label in ["Actualités", "Espace Famille", "Gestion du foyer"]:
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    screenshot(page, f"portal-home-{device}")
    assert_no_serious_axe_violations(page)

    page.locator("summary", has_text="Mon compte").click()
    menu = page.locator(".account-menu__panel")
    expect(menu.get_by_role("link", name="Changer d'adresse email")).to_be_visible()
    expect(menu.get_by_role("button", name="Déconnexion")).to_be_visible()
    screenshot(page, f"portal-account-menu-{device}")
    assert_no_serious_axe_violations(page)
    page.keyboard.press("Escape")
    expect(menu).not_to_be_visible()

    nav.get_by_role("link", name="Espace Famille").click()
    page.get_by_role("navigation", name="Espace Famille").get_by_role("link", name="Mes inscriptions").click()
    expect(page.get_by_role("heading", name="Mes inscriptions")).to_be_visible()
    expect(page.get_by_text("Repas maternelle")).to_be_visible()
    screenshot(page, f"portal-enrolments-{device}")
    assert_no_serious_axe_violations(page)

    nav.get_by_role("link", name="Gestion du foyer").click()
    expect(page.get_by_role("heading", name="Foyer TEST")).to_be_visible()
    expect(page.get_by_role("heading", name="Junior TEST")).to_be_visible()
    screenshot(page, f"portal-household-{device}")
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Modifier mes coordonnées").click()
    page.get_by_label(re.compile(r"^Téléphone portable")).fill("07 11 22 33 44")
    page.get_by_label(re.compile(r"^Code postal")).fill("ABCDE")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Code postal invalide")).to_be_visible()
    screenshot(page, f"portal-contact-edit-error-{device}")
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile(r"^Code postal")).fill("59270")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Vos coordonnées sont enregistrées.")).to_be_visible()
    expect(page.get_by_text("07 11 22 33 44")).to_be_visible()


def test_the_portal_works_with_the_keyboard_alone(page, family, news, transactional_db):
    page.goto("/connexion/")
    # The email field has the focus on arrival.
    page.keyboard.type("parent@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(factories.DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(HOME)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    assert "Mon compte" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    expect(page.locator(".account-menu__panel")).to_be_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_email_change_confirmed_by_the_link(page, family, settings, live_server, transactional_db):
    from django.core import mail

    settings.SITE_URL = live_server.url
    log_in(page)
    page.goto("/compte/email/")
    page.get_by_label(re.compile(r"^Nouvelle adresse email")).fill("deux.test@example.org")
    page.get_by_label(re.compile(r"^Mot de passe actuel")).fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.get_by_text("Un lien de confirmation a été envoyé à deux.test@example.org")).to_be_visible()
    [message] = mail.outbox
    url = re.search(r"https?://\S+", message.body).group(0)
    page.goto(url)
    screenshot(page, "portal-email-change-confirm")
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Confirmer ma nouvelle adresse").click()
    expect(page.get_by_text("Votre adresse email est désormais deux.test@example.org")).to_be_visible()
    expect(page.locator("dd", has_text="deux.test@example.org")).to_be_visible()


def test_staff_in_the_portal_see_the_way_to_the_admin(page, staff_agent, news, transactional_db):
    log_in(page, email="agent@mairie.test")
    expect(page.get_by_role("link", name="Aller à la gestion")).to_be_visible()
    screenshot(page, "portal-home-staff")
    page.goto("/foyer/")
    expect(page.get_by_role("heading", name="Aucun foyer n'est rattaché à votre compte")).to_be_visible()
    assert_no_serious_axe_violations(page)

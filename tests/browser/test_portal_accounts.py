"""The parent's account journey in Chromium: activation, throttled login, forgotten password."""

import re

import pytest
from django.core import mail

from core.models import Guardian
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, fill_login, screenshot
from playwright.sync_api import expect

PASSWORD = "Cantine-du-lundi-2026"


def label(text):
    """A field's accessible name: its label and the French « : » suffix Django adds."""
    return re.compile(rf"^{re.escape(text)}\W*$")


@pytest.fixture
def site_url(settings, live_server):
    settings.SITE_URL = live_server.url
    return live_server.url


def link_in(message, site_url):
    return re.search(r"https?://\S+", message.body).group(0).removeprefix(site_url)


def wait_for_email(count=1):
    # The email task runs inline after the server's transaction commits.
    for _ in range(50):
        if len(mail.outbox) >= count:
            return mail.outbox[count - 1]
        import time

        time.sleep(0.1)
    raise AssertionError(f"{len(mail.outbox)} email(s) in the outbox, {count} expected")


def choose_password(page, path, site_url, *, heading, shot, fields):
    """Follow an emailed link to a choose-a-password page, check it, and set PASSWORD in its two `fields`."""
    page.goto(path)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    screenshot(page, shot)
    assert_no_serious_axe_violations(page)
    for field in fields:
        page.get_by_label(label(field)).fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    page.wait_for_url(f"{site_url}/")


def test_activation_email_leads_to_choose_password_and_logs_in(page, transactional_db, site_url):
    from core.services.accounts import guardian_send_activation

    household = factories.HouseholdFactory(reference="TEST", name="TEST")
    guardian = factories.GuardianFactory(household=household, email="parent@example.org", first_name="Deux")
    factories.NewsFactory(title="Bienvenue sur votre Espace Famille")
    guardian_send_activation(guardian=guardian)
    message = wait_for_email()
    assert message.subject == "Activation de votre Espace Famille"
    page.set_content(message.alternatives[0].content)
    expect(page.get_by_role("link", name="Choisir un mot de passe")).to_be_visible()
    screenshot(page, "email-account-activation")

    choose_password(page, link_in(message, site_url), site_url, heading="Choisir un mot de passe", shot="portal-activate",
                    fields=("Mot de passe", "Confirmez le mot de passe"))
    expect(page.get_by_text("votre adresse email validée")).to_be_visible()
    expect(page.get_by_role("heading", name="Actualités")).to_be_visible()
    screenshot(page, "portal-activated-home")
    assert Guardian.objects.get(pk=guardian.pk).has_activated_account


def test_wrong_password_is_throttled(page, family, live_server, settings, transactional_db):
    page.goto("/connexion/")
    screenshot(page, "portal-login")
    assert_no_serious_axe_violations(page)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fill_login(page, password="pas-le-bon")
        expect(page.get_by_text("Adresse email ou mot de passe incorrect.")).to_be_visible()
    screenshot(page, "portal-login-error")
    fill_login(page, password="pas-le-bon")
    expect(page.get_by_role("heading", name="Connexion temporairement bloquée")).to_be_visible()
    expect(page.get_by_text("bloquée pendant 15 minutes")).to_be_visible()
    screenshot(page, "portal-login-locked")
    assert_no_serious_axe_violations(page)

    page.goto("/connexion/")
    fill_login(page)
    expect(page.get_by_role("heading", name="Connexion temporairement bloquée")).to_be_visible()


def test_forgotten_password_flow(page, family, site_url, transactional_db):
    page.goto("/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    screenshot(page, "portal-password-reset")
    assert_no_serious_axe_violations(page)
    page.get_by_label(label("Adresse email")).fill("parent@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    screenshot(page, "portal-password-reset-done")
    message = wait_for_email()
    assert message.subject == "Réinitialisation de votre mot de passe"

    choose_password(page, link_in(message, site_url), site_url, heading="Choisir un nouveau mot de passe",
                    shot="portal-password-reset-confirm", fields=("Nouveau mot de passe", "Confirmation du nouveau mot de passe"))
    expect(page.get_by_text("Votre nouveau mot de passe est enregistré.")).to_be_visible()

    page.get_by_text("Mon compte").click()
    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url("**/connexion/")
    fill_login(page, password=PASSWORD)
    page.wait_for_url(f"{site_url}/")

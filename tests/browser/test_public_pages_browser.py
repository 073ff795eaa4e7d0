"""The pages the law requires in Chromium: reached from the footer, skip link first, axe clean,
logged out and logged in."""

import pytest

from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_portal_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)

FOOTER_LABELS = ("Accessibilité : non conforme", "Mentions légales", "Données personnelles", "Plan du site")


def walk_footer(page, suffix):
    for label in FOOTER_LABELS:
        page.get_by_role("contentinfo").get_by_role("link", name=label).click()
        heading = page.get_by_role("heading", level=1)
        assert heading.count() == 1
        page.keyboard.press("Tab")  # the first stop of every page is the skip link
        assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
        assert_no_serious_axe_violations(page)
        screenshot(page, f"public-page-{heading.inner_text().lower().replace(' ', '-')[:20]}-{suffix}")


def test_legal_pages_from_the_footer_logged_out_and_in(page, family):
    page.goto("/connexion/")
    walk_footer(page, "anonyme")
    log_in(page)
    walk_footer(page, "connecte")
    page.get_by_role("contentinfo").get_by_role("link", name="Plan du site").click()
    page.get_by_role("main").get_by_role("link", name="Gestion du foyer").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Gestion du foyer"

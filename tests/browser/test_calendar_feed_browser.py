"""Gestion du foyer → subscribe a calendar in Chromium: the address page is axe clean, fits
320 px, and « Copier l'adresse » says it copied; the address then serves an iCalendar file."""

import datetime
from unittest import mock

import pytest

from core.constants import PARIS
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import horizontal_scroll, narrow_page  # noqa: F401 (fixture)
from tests.browser.test_portal_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=datetime.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)):
        yield


def test_a_guardian_subscribes_a_calendar(narrow_page, family, town):
    page = narrow_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page)
    page.goto("/foyer/")
    page.get_by_role("button", name="Créer mon adresse d'abonnement").click()
    page.get_by_role("heading", level=1, name="Adresse de votre calendrier").wait_for()
    address = page.get_by_label("Adresse d'abonnement").input_value()
    assert "/calendrier/" in address and address.endswith(".ics")
    assert horizontal_scroll(page, "calendar address") is None
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Copier l'adresse").click()
    page.get_by_role("status").filter(has_text="Adresse copiée.").wait_for()
    screenshot(page, "calendar-feed-address-320")
    response = page.request.get(address)
    assert response.status == 200 and response.text().startswith("BEGIN:VCALENDAR")
    page.get_by_role("link", name="Retour à la gestion du foyer").click()
    page.get_by_role("button", name="Générer une nouvelle adresse").wait_for()
    assert address.rsplit("/", 1)[1] not in page.content()

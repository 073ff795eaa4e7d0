"""The accueil de loisirs in Chromium: at the opening of the winter holidays' window, a parent
finds the period, books half-days in the week grid with their price, validates; a full morning
offers the waiting list. Axe on each page, 320 px without horizontal scroll."""

from unittest import mock

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, log_in, screenshot
from tests.browser.test_accessibility_reflow import NARROW, horizontal_scroll
from tests.core.test_leisure import OPEN, WEDNESDAY, enrol, make_alsh


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=OPEN):
        yield


def test_a_parent_books_holiday_half_days_at_the_opening(page, family, other_family, town, transactional_db):
    alsh = make_alsh(town, capacity=1)
    junior = family.children[0]
    enrol(town, junior, alsh.morning, alsh.afternoon)
    factories.flat_tariff(alsh.morning, unit_price="4.50")
    factories.TariffFactory(activity=alsh.afternoon, bracket=alsh.morning.tariffs.get().bracket, unit_price="4.00")
    zoe = other_family.children[0]
    enrol(town, zoe, alsh.morning)
    factories.BookingFactory(child=zoe, activity=alsh.morning, date=WEDNESDAY)  # the only place

    log_in(page)
    page.goto("/espace-famille/accueil-de-loisirs/")
    expect(page.get_by_role("heading", name="Vacances d'hiver 2027")).to_be_visible()
    expect(page.get_by_text("Inscriptions ouvertes")).to_be_visible()
    screenshot(page, "leisure-page")
    assert_no_serious_axe_violations(page)
    page.set_viewport_size(NARROW)
    assert horizontal_scroll(page, "leisure page") is None
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("link", name="Semaine du 15/02/2027").click()
    page.get_by_role("heading", name="Semaine du 15/02/2027 au 19/02/2027").wait_for()
    page.wait_for_load_state("domcontentloaded")
    basket = page.locator("#panier")
    page.get_by_role("button", name="Junior TEST, ALSH 3–5 ans matin, lundi 15 février : non réservé", exact=True).click()
    expect(basket).to_contain_text("+4,50 €")
    page.get_by_role("button", name="Junior TEST, ALSH 3–5 ans après-midi, mardi 16 février : non réservé", exact=True).click()
    expect(basket).to_contain_text("+4,00 €")
    wednesday = page.get_by_role("button", name="Junior TEST, ALSH 3–5 ans matin, mercredi 17 février : fermé (Complet)")
    expect(wednesday).to_be_visible()
    expect(page.locator("#listes-attente").get_by_role(
        "button", name="Rejoindre la liste d'attente : Junior, ALSH 3–5 ans matin, mercredi 17 février"
    )).to_be_visible()
    screenshot(page, "leisure-week")
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Valider le panier").click()
    expect(page.get_by_text("Panier validé")).to_be_visible()
    assert alsh.morning.bookings.filter(child=junior).count() == 1
    assert alsh.afternoon.bookings.filter(child=junior).count() == 1

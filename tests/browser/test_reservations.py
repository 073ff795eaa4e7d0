"""Espace Famille in Chromium: the memo's booking and cancellation journey, a locked day, a period
booking for two siblings, the phone's basket button, and the same pages without JavaScript.

The server's clock is frozen on Monday 30 November 2026 at 09:00 (Paris) so that the week's
deadlines are known: with the meals' rule (2 working days before, 10:00) Monday 30 and Tuesday 1
are locked, Thursday 3 and Friday 4 are open.
"""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from core.models import BasketItem, Booking
from core.services.deadlines import PARIS
from tests import factories
from tests.browser.conftest import ARTIFACTS, assert_no_serious_axe_violations, screenshot
from tests.browser.conftest import log_in

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


pytestmark = pytest.mark.usefixtures("frozen_now")


def cell(page, name):
    return page.get_by_role("button", name=name, exact=True)


def basket(page):
    return page.locator("#panier")


def open_espace_famille(page):
    log_in(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Espace Famille").click()
    page.get_by_role("heading", name="Semaine du 30/11/2026 au 04/12/2026").wait_for()
    # The heading is there as soon as the HTML is parsed; the grid's script (deferred) runs just
    # before DOMContentLoaded. A click before it would take the no-JavaScript path instead.
    page.wait_for_load_state("domcontentloaded")


def test_book_two_days_validate_then_cancel_one(page, family, transactional_db):
    open_espace_famille(page)
    assert page.get_by_role("link", name="Mes réservations").get_attribute("aria-current") == "page"
    expect(basket(page).get_by_text("Aucune nouvelle réservation ou annulation")).to_be_visible()
    screenshot(page, "reservations-week")
    assert_no_serious_axe_violations(page)

    cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé").click()
    cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé, réservation dans le panier").wait_for()
    cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé").click()
    friday = cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé, réservation dans le panier")
    friday.wait_for()
    assert "slot--pending-book" in friday.get_attribute("class")  # the orange clock
    assert page.evaluate("document.activeElement.id") == friday.get_attribute("id")  # focus stays on the cell
    lines = basket(page).locator(".basket-line")
    assert lines.count() == 2
    assert re.match(r"Junior TEST,\s+Jeu\. 3 déc\.\s+Repas maternelle", lines.nth(0).inner_text())
    assert re.match(r"Junior TEST,\s+Ven\. 4 déc\.\s+Repas maternelle", lines.nth(1).inner_text())
    expect(page.locator("#annonce")).to_have_text("Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé, réservation dans le panier")
    screenshot(page, "reservations-basket-pending")
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Semaine suivante").click()
    page.get_by_role("heading", name="Semaine du 07/12/2026 au 11/12/2026").wait_for()
    assert basket(page).locator(".basket-line").count() == 2  # the basket survives the change of week
    expect(basket(page).get_by_text("Jeu. 3 déc.")).to_be_visible()

    page.get_by_role("button", name="Valider le panier").click()
    page.get_by_text("Panier validé : 2 réservations enregistrées.").wait_for()
    report = page.locator("#bilan")
    assert "Junior TEST, Repas maternelle, Jeu. 3 déc." in report.inner_text()
    expect(basket(page).get_by_text("Aucune nouvelle réservation ou annulation")).to_be_visible()
    screenshot(page, "reservations-validated")
    assert_no_serious_axe_violations(page)

    [email] = mail.outbox
    assert email.subject == "Validation du panier"
    assert "Suite à votre validation du 30/11/2026 à 09h00" in email.body
    assert "2 REPAS MATERNELLE : Jeu. 3 déc., Ven. 4 déc." in email.body

    page.get_by_role("link", name="Semaine précédente").click()
    thursday = cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : réservé")
    assert "slot--booked" in thursday.get_attribute("class")  # green tick
    assert "slot--booked" in cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : réservé").get_attribute("class")

    thursday.click()
    struck = cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : réservé, annulation dans le panier")
    struck.wait_for()
    assert "slot--pending-cancel" in struck.get_attribute("class")  # struck through in red
    assert "Annulation" in basket(page).locator(".basket-line").inner_text()
    screenshot(page, "reservations-cancellation-pending")
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Valider le panier").click()
    page.get_by_text("Panier validé : 1 annulation enregistrée.").wait_for()
    expect(cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé")).to_be_visible()
    assert len(mail.outbox) == 2
    assert "Vos annulations Junior TEST" in mail.outbox[1].body
    assert "1 REPAS MATERNELLE : Jeu. 3 déc." in mail.outbox[1].body
    assert Booking.objects.filter(status="booked").count() == 1


def test_a_locked_day_cannot_be_selected_and_says_its_deadline(page, family, transactional_db):
    factories.ClosureFactory(name="Vacances de Noël", start_date=datetime.date(2026, 12, 19), end_date=datetime.date(2027, 1, 3))
    open_espace_famille(page)
    monday = cell(page, "Junior TEST, Repas maternelle, lundi 30 novembre : non réservé, délai dépassé")
    assert monday.get_attribute("aria-disabled") == "true"
    assert monday.get_attribute("title") == "Délai dépassé le jeudi 26/11 à 10h00."
    monday.click(force=True)  # aria-disabled: Playwright itself sees it as not clickable
    page.locator("#annonce").filter(has_text="Délai dépassé le jeudi 26/11 à 10h00.").wait_for()
    expect(basket(page).get_by_text("Aucune nouvelle réservation ou annulation")).to_be_visible()
    assert not BasketItem.objects.exists()

    # The keyboard alone: Tab reaches the locked cell (so its label can be heard), Enter on an open one books it.
    monday.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé, réservation dans le panier").wait_for()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").endswith("réservation dans le panier")
    screenshot(page, "reservations-keyboard-focus")

    page.get_by_label("Aller à la semaine du").fill("2026-12-23")
    page.get_by_role("button", name="Afficher").click()
    page.get_by_role("heading", name="Semaine du 21/12/2026 au 25/12/2026").wait_for()
    closed = cell(page, "Junior TEST, Repas maternelle, lundi 21 décembre : fermé (Vacances de Noël)")
    assert closed.get_attribute("aria-disabled") == "true" and closed.inner_text() == "Vacances de Noël"
    assert basket(page).locator(".basket-line").count() == 1
    screenshot(page, "reservations-holidays")
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Mes inscriptions").click()
    expect(page.get_by_role("heading", name="Mes inscriptions")).to_be_visible()
    screenshot(page, "reservations-enrolments")
    assert_no_serious_axe_violations(page)


def test_period_booking_for_two_siblings_fills_the_basket(page, family, town, transactional_db):
    junior, lise = family.children
    factories.EnrolmentFactory(child=junior, activity=town.garderie_soir, school_year=town.school_year)
    factories.ClosureFactory(name="Grève", kind="other", start_date=datetime.date(2026, 12, 14), end_date=datetime.date(2026, 12, 14))
    open_espace_famille(page)
    page.get_by_role("link", name="Réserver sur une période").click()
    page.get_by_label("Junior TEST").check()
    page.get_by_label("Lise TEST").check()
    page.get_by_label(re.compile(r"^Prestation")).select_option(label="Garderie soir")
    page.get_by_label(re.compile(r"^Du\b")).fill("2026-12-07")
    page.get_by_label(re.compile(r"^Au \(inclus\)")).fill("2026-12-18")
    page.get_by_label("Lundi", exact=True).check()
    page.get_by_label("Jeudi", exact=True).check()
    screenshot(page, "reservations-period-form")
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Ajouter au panier").click()

    page.get_by_role("heading", name="Semaine du 07/12/2026 au 11/12/2026").wait_for()
    expect(page.get_by_text("6 jours ajoutés au panier")).to_be_visible()
    skipped = page.locator(".report__list--skipped li")
    assert skipped.count() == 2 and "Grève" in skipped.nth(0).inner_text()
    assert basket(page).locator(".basket-line").count() == 6
    for child in ("Junior TEST", "Lise TEST"):  # siblings' cells are told apart by name
        for day in ("lundi 7 décembre", "jeudi 10 décembre"):
            name = f"{child}, Garderie soir, {day} : non réservé, réservation dans le panier"
            assert page.get_by_role("button", name=name, exact=True).count() == 1
    screenshot(page, "reservations-period-result")
    assert_no_serious_axe_violations(page)

    basket(page).get_by_role("button", name="Retirer du panier : Junior TEST, Garderie soir, lundi 7 décembre : réservation").click()
    expect(page.locator("#annonce")).to_have_text("Retiré du panier : Junior TEST, Garderie soir, lundi 7 décembre : réservation.")
    assert basket(page).locator(".basket-line").count() == 5
    basket(page).get_by_role("button", name="Vider le panier").click()
    basket(page).get_by_text("Aucune nouvelle réservation ou annulation").wait_for()
    assert not BasketItem.objects.exists()


def test_a_phone_shows_the_basket_button_with_the_number_of_changes(phone_page, family, transactional_db):
    page = phone_page
    open_espace_famille(page)
    button = page.get_by_role("link", name="Voir le panier : 0 changement")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["x"] + box["width"] > 390 - 40 and box["y"] + box["height"] > 844 - 40  # bottom right
    screenshot(page, "reservations-phone")
    assert_no_serious_axe_violations(page)

    cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé").click()
    page.get_by_role("link", name="Voir le panier : 1 changement").wait_for()
    cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé").click()
    fab = page.get_by_role("link", name="Voir le panier : 2 changements")
    fab.wait_for()
    assert fab.inner_text().strip() == "2"
    page.screenshot(path=str(ARTIFACTS / "reservations-phone-pending-viewport.png"))  # the button as seen
    fab.click()
    expect(basket(page).get_by_role("button", name="Valider le panier")).to_be_in_viewport()
    screenshot(page, "reservations-phone-basket")
    assert_no_serious_axe_violations(page)


def test_everything_works_without_javascript(chromium, live_server, family, transactional_db):
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1366, "height": 900}, locale="fr-FR"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        open_espace_famille(page)
        cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé").click()
        page.get_by_text("Réservation ajoutée au panier : Junior TEST, Repas maternelle, jeudi 3 décembre.").wait_for()
        assert re.search(r"#jour-\d+-\d+-2026-12-03$", page.url)
        cell(page, "Junior TEST, Repas maternelle, lundi 30 novembre : non réservé, délai dépassé").click(force=True)  # a type=button: nothing
        cell(page, "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé, réservation dans le panier").click()
        page.get_by_text("Retiré du panier : Junior TEST, Repas maternelle, jeudi 3 décembre : réservation.").wait_for()
        cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé").click()
        page.get_by_role("button", name="Valider le panier").click()
        page.get_by_text("Panier validé : 1 réservation enregistrée.").wait_for()
        expect(cell(page, "Junior TEST, Repas maternelle, vendredi 4 décembre : réservé")).to_be_visible()
        assert [(b.date.day, b.status) for b in Booking.objects.all()] == [(4, "booked")]
        screenshot(page, "reservations-no-javascript")
    finally:
        context.close()

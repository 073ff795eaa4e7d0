"""A full day's waiting list and the basket's prices in Chromium: the parent queues a child, sees
the rank, gets the place when another family cancels, leaves another list; each change shows its
price and the month its estimate. Clock frozen as in test_reservations."""

import datetime
from unittest import mock

import pytest
from playwright.sync_api import expect

from core.models import Booking, EmailLog, WaitingListEntry
from core.services.basket import basket_add, basket_validate
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import NARROW, horizontal_scroll
from tests.browser.test_reservations import NOW, open_espace_famille

THURSDAY, FRIDAY = datetime.date(2026, 12, 3), datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_join_a_full_days_list_get_the_freed_place_and_leave_another(page, family, other_family, town, transactional_db):
    activity = town.repas_maternelle
    activity.capacity = 1
    activity.save()
    zoe = other_family.children[0]
    for day in (THURSDAY, FRIDAY):
        factories.BookingFactory(child=zoe, activity=activity, date=day)

    open_espace_famille(page)
    lists = page.locator("#listes-attente")
    expect(lists.get_by_role("heading", name="Listes d'attente")).to_be_visible()
    thursday_cell = page.get_by_role("button", name="Junior TEST, Repas maternelle, jeudi 3 décembre : fermé (Complet)")
    assert "liste d'attente" in thursday_cell.get_attribute("title")
    lists.get_by_role("button", name="Rejoindre la liste d'attente : Junior, Repas maternelle, jeudi 3 décembre").click()
    expect(page.get_by_text("au rang 1")).to_be_visible()
    page.locator("#listes-attente").get_by_role("button", name="Rejoindre la liste d'attente : Junior, Repas maternelle, vendredi 4 décembre").click()
    expect(page.locator("#listes-attente").get_by_text("rang 1").first).to_be_visible()
    screenshot(page, "waiting-lists")
    assert_no_serious_axe_violations(page)
    page.set_viewport_size(NARROW)
    assert horizontal_scroll(page, "waiting lists") is None
    page.set_viewport_size({"width": 1280, "height": 800})

    basket_add(guardian=other_family.parent, child=zoe, activity=activity, day=THURSDAY, action="cancel", now=NOW)
    basket_validate(guardian=other_family.parent, now=NOW)
    assert Booking.objects.active().get(activity=activity, date=THURSDAY).child == family.children[0]
    assert EmailLog.objects.filter(kind="waiting_list_promoted", recipient="parent@example.org").count() == 1

    page.reload()
    expect(page.get_by_role("button", name="Junior TEST, Repas maternelle, jeudi 3 décembre : réservé", exact=True)).to_be_visible()
    page.locator("#listes-attente").get_by_role("button", name="Quitter la liste : Junior, Repas maternelle, vendredi 4 décembre").click()
    expect(page.get_by_text("n'est plus sur la liste d'attente")).to_be_visible()
    assert WaitingListEntry.objects.get(date=FRIDAY).status == "left"
    expect(page.locator("#listes-attente").get_by_text("Aucun enfant de votre foyer n'est sur une liste d'attente.")).to_be_visible()
    assert_no_serious_axe_violations(page)


def test_the_basket_prices_each_change_and_the_month_as_the_parent_clicks(page, family, town, transactional_db):
    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    for activity, price in ((town.repas_maternelle, "3.70"), (town.repas_primaire, "3.90"), (town.garderie_soir, "1.50")):
        factories.TariffFactory(activity=activity, bracket=bracket, unit_price=price)
    open_espace_famille(page)
    estimate = page.locator("#estimation-mois")
    expect(estimate).to_contain_text("Estimation de décembre 2026")
    expect(estimate).to_contain_text("à ce jour : 0,00 €")

    page.get_by_role("button", name="Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé", exact=True).click()
    basket = page.locator("#panier")
    expect(basket.locator(".basket-line__price")).to_have_text("+3,70 €")
    expect(basket).to_contain_text("Décembre 2026 : +3,70 €")
    expect(page.locator("#estimation-mois")).to_contain_text("3,70 € avec votre panier")
    assert_no_serious_axe_violations(page)


def test_a_model_week_saved_then_applied_to_both_siblings_canteen(page, family, town, transactional_db):
    open_espace_famille(page)
    page.get_by_role("link", name="Ma semaine type").click()
    page.get_by_role("heading", name="Ma semaine type").wait_for()
    assert_no_serious_axe_violations(page)
    page.get_by_role("group", name="Junior — Repas maternelle").get_by_label("Jeudi").check()
    page.get_by_role("group", name="Lise — Repas primaire").get_by_label("Jeudi").check()
    page.get_by_role("group", name="Lise — Garderie soir").get_by_label("Jeudi").check()
    page.get_by_role("button", name="Enregistrer la semaine type").click()
    expect(page.get_by_text("Semaine type enregistrée.")).to_be_visible()

    apply = page.locator("form").filter(has=page.get_by_role("button", name="Ajouter au panier"))
    apply.get_by_label("Junior TEST").check()
    apply.get_by_label("Lise TEST").check()
    apply.get_by_label("Service").select_option(label="La cantine")
    apply.get_by_label("Du").fill("2026-12-03")
    apply.get_by_label("Au (inclus)").fill("2026-12-10")
    apply.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_text("Semaine type appliquée")).to_be_visible()
    basket = page.locator("#panier")
    expect(basket.locator(".basket-line")).to_have_count(4)  # Thursdays 3 and 10, each child's own meal
    expect(basket).to_contain_text("Repas primaire")
    expect(basket).not_to_contain_text("Garderie soir")
    assert_no_serious_axe_violations(page)

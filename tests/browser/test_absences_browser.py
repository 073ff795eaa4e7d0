"""A late absence declared from a phone, accepted by staff, not billed. Clock frozen on Monday
30 November 2026 at 09:00 (Paris): Monday's meal can no longer be cancelled."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from playwright.sync_api import expect

from core.models import AbsenceDeclaration, AbsenceReason, EmailLog
from core.services.absences import absence_review
from core.services.billing import household_month_lines
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import horizontal_scroll
from tests.browser.test_portal_pages import log_in
from tests.browser.test_reservations import NOW

MONDAY, FRIDAY = datetime.date(2026, 11, 30), datetime.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_a_parent_declares_a_late_absence_from_a_phone_and_the_accepted_day_is_not_billed(
    phone_page, family, town, staff_agent, transactional_db
):
    page = phone_page
    junior = family.children[0]
    AbsenceReason.objects.get_or_create(label="Maladie")  # seeded by a migration, gone after another test's flush
    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price="3.70")
    for day in (FRIDAY, MONDAY):
        factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day)

    log_in(page)
    page.goto("/espace-famille/")
    page.get_by_role("link", name="Déclarer une absence").click()
    page.get_by_role("heading", name="Déclarer une absence").wait_for()
    assert_no_serious_axe_violations(page)
    assert horizontal_scroll(page, "absences") is None

    page.get_by_role("button", name="Déclarer l'absence").click()
    expect(page.get_by_text("Choisissez l'enfant absent.")).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_label("Junior TEST").check()
    page.get_by_label("Du").fill("2026-11-30")
    page.get_by_label("Motif").select_option(label="Maladie")
    page.get_by_label("Précisions (facultatif)").fill("Fièvre depuis la nuit")
    page.get_by_role("button", name="Déclarer l'absence").click()
    expect(page.get_by_text("Absence de Junior déclarée (1 jour)")).to_be_visible()
    expect(page.get_by_text("À examiner", exact=True)).to_be_visible()
    screenshot(page, "absence-declared-phone")
    assert_no_serious_axe_violations(page)

    declaration = AbsenceDeclaration.objects.get()
    absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent)
    page.reload()
    expect(page.get_by_text("Acceptée", exact=True)).to_be_visible()
    assert EmailLog.objects.filter(kind="absence_reviewed").count() == 1
    [line] = household_month_lines(household=family.household, regie=town.regie, month=MONDAY)
    assert line.dates == [FRIDAY] and line.amount == Decimal("3.70")  # Monday 30 is not billed

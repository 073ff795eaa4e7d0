"""Screenshots of the staff workspace on the demo town: dashboard, headcounts print page,
attendance sheet (saved in test-artifacts/screenshots/)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from core.models import Activity, Attendance, Booking, Child, User
from core.services.roles import roles_sync
from tests.browser.conftest import admin_login, screenshot
from playwright.sync_api import expect


# A Tuesday in term: the demo town is built around the day it is loaded, so the test sets it.
SCHOOL_DAY = datetime.datetime(2026, 11, 17, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def gestionnaire_page(page, transactional_db):
    with time_machine.travel(SCHOOL_DAY, tick=True):
        yield _log_in_gestionnaire(page)


def _log_in_gestionnaire(page):
    call_command("load_demo", verbosity=0)
    # A few children with needs the kitchen must see (the demo town has none).
    needs = [{"has_pai": True, "allergies": "arachide"}, {"diet": "sans porc"}, {"diet": "végétarien"}, {"allergies": "lait"}]
    for child, values in zip(Child.objects.order_by("pk")[::7], needs, strict=False):
        Child.objects.filter(pk=child.pk).update(**values)
    user = User.objects.create_user(email="gestionnaire@mairie.test", password="espacefamille", is_staff=True)
    user.groups.add(roles_sync()["Gestionnaire"])
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Adresse email").fill("gestionnaire@mairie.test")
    page.get_by_label("Mot de passe").fill("espacefamille")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/admin/")
    return page


def _next_service_day():
    """The next day the demo has bookings on (SCHOOL_DAY is in term: there is one)."""
    days = Booking.objects.active().values_list("date", flat=True).distinct()
    return days.filter(date__gte=timezone.localdate()).order_by("date").first()


def test_dashboard_shows_today_and_the_charts(gestionnaire_page):
    page = gestionnaire_page
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.get_by_text("Effectifs par école et prestation")).to_be_visible()
    assert page.locator("canvas.chart").count() == 2
    page.wait_for_timeout(500)  # chart.js animation
    screenshot(page, "admin-workspace-dashboard")


def test_headcounts_print_page(gestionnaire_page):
    page = gestionnaire_page
    day = _next_service_day()
    page.goto(f"/admin/core/booking/effectifs/?day={day.isoformat()}&period=week&kind=meal")
    screenshot(page, "admin-workspace-headcounts")
    page.get_by_role("link", name="Version imprimable").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Effectifs cantine")).to_be_visible()
    total = Booking.objects.active().filter(activity__kind="meal", date__gte=day - datetime.timedelta(days=day.weekday()),
                                            date__lte=day - datetime.timedelta(days=day.weekday()) + datetime.timedelta(days=4)).count()
    assert page.locator("tfoot th").last.inner_text() == str(total)
    page.emulate_media(media="print")
    screenshot(page, "admin-workspace-headcounts-print")


def test_attendance_sheet_with_the_keyboard(gestionnaire_page):
    page = gestionnaire_page
    day = _next_service_day()
    meals = Activity.objects.get(code="repas-maternelle")
    booking = Booking.objects.active().filter(activity=meals, date=day).select_related("child__school").order_by(
        "child__last_name", "child__first_name"
    ).first()
    school = booking.child.school
    page.goto(f"/admin/core/attendance/feuille/?school={school.pk}&activity={meals.pk}&day={day.isoformat()}")
    rows = page.locator("#attendance tr[data-row]")
    first_id, second_id = rows.nth(0).get_attribute("id"), rows.nth(1).get_attribute("id")
    focused = "id => document.activeElement && document.activeElement.id === id"
    page.wait_for_function(focused, arg=first_id)  # the first child to record has the focus
    with page.expect_navigation(url=f"**#{first_id}"):
        page.keyboard.press("p")
    page.wait_for_function(focused, arg=second_id)  # back on the sheet, on the next child
    with page.expect_navigation(url=f"**#{second_id}"):
        page.keyboard.press("j")
    page.wait_for_load_state("load")
    recorded = Attendance.objects.filter(activity=meals, date=day).order_by("child__last_name", "child__first_name")
    assert [a.status for a in recorded] == ["present", "absent_justified"]
    screenshot(page, "admin-workspace-attendance")


@pytest.fixture
def regisseur_page(page, transactional_db):
    """The demo town with last month invoiced (some invoices overdue, some paid, one payment in
    flight) and this month's run computed as a draft, seen by a régisseur."""
    with time_machine.travel(SCHOOL_DAY, tick=True):
        yield _log_in_regisseur(page)


def _log_in_regisseur(page):
    from decimal import Decimal

    from core.models import Household, InvoiceRun, Payment, Regie
    from core.services import invoicing, payments
    from tests import factories

    call_command("load_demo", verbosity=0)
    regie = Regie.objects.order_by("pk").first()
    today = timezone.localdate()
    this_month = today.replace(day=1)
    # The demo has issued its own run (last month): the overdue invoices go in an earlier month's run.
    demo_month = InvoiceRun.objects.filter(regie=regie).order_by("month").values_list("month", flat=True).first()
    earlier_month = (demo_month - datetime.timedelta(days=1)).replace(day=1)
    run = factories.InvoiceRunFactory(regie=regie, month=earlier_month, status=InvoiceRun.Status.ISSUED)
    user = User.objects.create_user(email="regisseur@mairie.test", password="espacefamille", is_staff=True)
    user.groups.add(roles_sync()["Régisseur"])
    households = list(Household.objects.order_by("pk")[:8])
    for i, household in enumerate(households):
        invoice = factories.InvoiceFactory(
            run=run, regie=regie, household=household, total=Decimal("18.50") + 7 * i,
            sequence=90001 + i,  # clear of the numbers the demo's runs gave, whatever the year
            issue_date=this_month, due_date=today + datetime.timedelta(days=-5 if i % 3 == 0 else 20),
        )
        if i in (1, 4):
            payments.payment_record_manual(household=household, method=Payment.Method.CHEQUE, amount=invoice.total,
                                           invoice_ids=[invoice.pk], received_on=today, reference=f"CHQ {i}", by=user)
        if i == 2:
            factories.PaymentFactory(household=household, regie=regie, amount=invoice.total)
    invoicing.invoice_run_create(regie=regie, month=this_month, by=user)
    return admin_login(page, "regisseur@mairie.test")


def test_dashboard_shows_the_billing_figures_to_a_regisseur(regisseur_page):
    page = regisseur_page
    expect(page.locator("#billing")).to_be_visible()
    assert page.locator("#billing-unpaid").inner_text().endswith("€")
    assert page.locator("#billing-overdue").inner_text() == "3"
    assert page.locator("#latest-payments tbody tr").count() >= 2
    assert page.locator("#runs-in-progress a.ef-run").count() == 1
    page.wait_for_timeout(500)  # chart.js animation
    screenshot(page, "admin-workspace-dashboard-billing")

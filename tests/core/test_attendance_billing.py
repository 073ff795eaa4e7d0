"""Attendance feeds the next invoice run, and a month is closed to attendance once invoiced."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import Attendance, InvoiceRun
from core.services import invoicing
from core.services.attendance import attendance_is_locked, attendance_record
from tests import factories

DECEMBER = datetime.date(2026, 12, 1)
BOOKED = [datetime.date(2026, 12, d) for d in (1, 3, 4)]
UNBOOKED_DAY = datetime.date(2026, 12, 7)
ISSUE_NOW = datetime.datetime(2027, 1, 5, 9, 30, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def junior(town, family):
    """Junior TEST, top bracket (3,70 € a meal), booked for three December meals."""
    factories.flat_tariff(town.repas_maternelle, label="C")
    factories.QuotientFamilialFactory(household=family.household, value=1350)
    child = family.children[0]
    factories.book(child, town.repas_maternelle, BOOKED)
    return child


def _compute(run_id, captured):
    with captured(execute=True):
        invoicing.invoice_run_recompute(run_id=run_id)
    return InvoiceRun.objects.get(pk=run_id)


def test_attendance_changes_what_the_next_invoice_run_bills(town, family, junior, staff_agent,
                                                            django_capture_on_commit_callbacks):
    meal = town.repas_maternelle
    with django_capture_on_commit_callbacks(execute=True):
        run = invoicing.invoice_run_create(regie=town.regie, month=DECEMBER)
    run.refresh_from_db()
    before = run.invoices.get(household=family.household)
    assert before.total == Decimal("11.10")  # three booked meals

    attendance_record(child=junior, activity=meal, day=BOOKED[0], status=Attendance.Status.ABSENT_JUSTIFIED, by=staff_agent)
    attendance_record(child=junior, activity=meal, day=BOOKED[1], status=Attendance.Status.ABSENT_UNJUSTIFIED, by=staff_agent)
    attendance_record(child=junior, activity=meal, day=BOOKED[2], status=Attendance.Status.PRESENT, by=staff_agent)
    attendance_record(child=junior, activity=meal, day=UNBOOKED_DAY, status=Attendance.Status.PRESENT_UNBOOKED, by=staff_agent)

    run = _compute(run.pk, django_capture_on_commit_callbacks)
    invoice = run.invoices.get(household=family.household)
    lines = {line.is_unbooked: line for line in invoice.lines.all()}
    # The justified absence is not billed, the unjustified one is; the presence without booking
    # is billed on its own line at the late price.
    assert lines[False].dates == [BOOKED[1].isoformat(), BOOKED[2].isoformat()]
    assert lines[False].unit_price == Decimal("3.70")
    assert lines[True].dates == [UNBOOKED_DAY.isoformat()]
    assert lines[True].unit_price == Decimal("3.70") + meal.late_surcharge
    assert invoice.total == Decimal("7.40") + Decimal("3.70") + meal.late_surcharge


def test_a_month_is_locked_once_its_run_is_issuing_or_issued(town, junior, staff_agent):
    meal, day = town.repas_maternelle, BOOKED[0]
    assert not attendance_is_locked(activity=meal, day=day)
    run = factories.InvoiceRunFactory(regie=town.regie, month=DECEMBER, status=InvoiceRun.Status.DRAFT)
    assert not attendance_is_locked(activity=meal, day=day)  # a draft still follows attendance
    for status in (InvoiceRun.Status.ISSUING, InvoiceRun.Status.ISSUED):
        InvoiceRun.objects.filter(pk=run.pk).update(status=status)
        assert attendance_is_locked(activity=meal, day=day)
        assert attendance_is_locked(activity=meal, day=datetime.date(2026, 12, 31))
        assert not attendance_is_locked(activity=meal, day=datetime.date(2027, 1, 4))  # next month is open
    with pytest.raises(ValidationError, match="facturé"):
        attendance_record(child=junior, activity=meal, day=day, status=Attendance.Status.PRESENT, by=staff_agent)
    assert not Attendance.objects.exists()


def test_another_regies_run_does_not_lock_the_month(town, junior):
    other = factories.RegieFactory()
    factories.InvoiceRunFactory(regie=other, month=DECEMBER, status=InvoiceRun.Status.ISSUED)
    assert not attendance_is_locked(activity=town.repas_maternelle, day=BOOKED[0])


def test_issuing_the_run_closes_the_attendance_of_the_month(town, family, junior, staff_agent,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = invoicing.invoice_run_create(regie=town.regie, month=DECEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    assert attendance_is_locked(activity=town.repas_maternelle, day=BOOKED[0])

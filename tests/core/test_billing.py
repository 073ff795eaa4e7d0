"""Billing rules on a small household: what is billed, at which price, on which line."""

import datetime
from decimal import Decimal

import pytest

from core.models import Activity, Attendance, Booking
from core.services.billing import BillingError, LineDraft, household_month_lines, payer_snapshot
from tests import factories

DECEMBER = datetime.date(2026, 12, 1)
MON, TUE, THU, FRI = (datetime.date(2026, 12, d) for d in (7, 8, 10, 11))


@pytest.fixture
def priced(town):
    """Three quotient brackets and resident tariffs for the meals of the town."""
    brackets = [
        factories.QuotientBracketFactory(label="A", min_value=0, max_value=700),
        factories.QuotientBracketFactory(label="B", min_value=701, max_value=1200),
        factories.QuotientBracketFactory(label="C", min_value=1201, max_value=None),
    ]
    for bracket, price in zip(brackets, ["2.50", "3.10", "3.70"], strict=True):
        factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price=Decimal(price))
        factories.TariffFactory(activity=town.repas_primaire, bracket=bracket, unit_price=Decimal(price) + Decimal("0.20"))
    return brackets


@pytest.fixture
def junior(family, priced):
    factories.QuotientFamilialFactory(household=family.household, value=1350)
    return family.children[0]


def book(child, activity, *days, status=Booking.Status.BOOKED):
    for day in days:
        factories.BookingFactory(
            child=child, activity=activity, date=day, status=status,
            cancelled_at=None if status == Booking.Status.BOOKED else datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
        )


def lines_of(family, town, regie=None):
    return household_month_lines(household=family.household, regie=regie or town.regie, month=DECEMBER)


def test_booked_days_are_billed_at_the_bracket_price(family, town, junior):
    book(junior, town.repas_maternelle, MON, TUE, THU)
    [line] = lines_of(family, town)
    assert (line.quantity, line.unit_price, line.amount) == (3, Decimal("3.70"), Decimal("11.10"))
    assert line.dates == [MON, TUE, THU]
    assert line.label == "Repas maternelle — Junior TEST"


def test_cancelled_bookings_are_not_billed(family, town, junior):
    book(junior, town.repas_maternelle, MON, TUE)
    book(junior, town.repas_maternelle, THU, status=Booking.Status.CANCELLED)
    [line] = lines_of(family, town)
    assert line.dates == [MON, TUE]


def test_a_justified_absence_is_not_billed_an_unjustified_one_is(family, town, junior):
    book(junior, town.repas_maternelle, MON, TUE, THU)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=MON, status=Attendance.Status.ABSENT_JUSTIFIED)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=TUE, status=Attendance.Status.ABSENT_UNJUSTIFIED)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=THU, status=Attendance.Status.PRESENT)
    [line] = lines_of(family, town)
    assert line.dates == [TUE, THU] and line.amount == Decimal("7.40")


def test_a_presence_without_booking_is_billed_at_the_late_price(family, town, junior):
    assert town.repas_maternelle.late_surcharge == Decimal("1.00")
    book(junior, town.repas_maternelle, MON)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=FRI, status=Attendance.Status.PRESENT_UNBOOKED)
    booked, late = lines_of(family, town)
    assert (booked.dates, booked.unit_price, booked.is_unbooked) == ([MON], Decimal("3.70"), False)
    assert (late.dates, late.unit_price, late.is_unbooked) == ([FRI], Decimal("4.70"), True)
    assert late.label.endswith("(présence sans réservation)")


def test_a_tariff_change_in_the_middle_of_the_month_splits_the_line(family, town, junior, priced):
    old = town.repas_maternelle.tariffs.get(bracket=priced[2])
    old.valid_to = datetime.date(2026, 12, 9)
    old.save()
    factories.TariffFactory(
        activity=town.repas_maternelle, bracket=priced[2], unit_price=Decimal("3.90"), valid_from=datetime.date(2026, 12, 10)
    )
    book(junior, town.repas_maternelle, MON, TUE, THU, FRI)
    before, after = lines_of(family, town)
    assert (before.dates, before.unit_price) == ([MON, TUE], Decimal("3.70"))
    assert (after.dates, after.unit_price, after.amount) == ([THU, FRI], Decimal("3.90"), Decimal("7.80"))


def test_a_quotient_change_in_the_month_prices_each_day_with_its_own_bracket(family, town, junior):
    factories.QuotientFamilialFactory(household=family.household, value=650, valid_from=THU)
    book(junior, town.repas_maternelle, MON, THU)
    first, second = sorted(lines_of(family, town), key=lambda line: line.dates[0])
    assert (first.unit_price, second.unit_price) == (Decimal("3.70"), Decimal("2.50"))


def test_no_quotient_means_the_highest_bracket(family, town, priced):
    junior = family.children[0]
    assert not family.household.quotients.exists()
    book(junior, town.repas_maternelle, MON)
    [line] = lines_of(family, town)
    assert line.unit_price == Decimal("3.70")


def test_meals_and_childcare_are_on_separate_lines(family, town, junior, priced):
    garderie = factories.ActivityFactory(
        name="Garderie matin", code="garderie-matin", kind=Activity.Kind.CHILDCARE, regie=town.regie,
        booking_rule=town.childcare_rule, grades=["PS", "MS", "GS"],
    )
    factories.TariffFactory(activity=garderie, bracket=priced[2], unit_price=Decimal("3.70"))
    book(junior, town.repas_maternelle, MON, TUE)
    book(junior, garderie, MON)
    meal, childcare = lines_of(family, town)
    assert (meal.activity.kind, meal.quantity) == ("meal", 2)
    assert (childcare.activity.kind, childcare.quantity) == ("childcare", 1)


def test_each_line_is_rounded_to_the_cent(family, town, junior):
    # Tariffs are stored to the cent; the rule still rounds each line once, half up, whatever the
    # price (a surcharge or a price computed elsewhere could carry a third decimal).
    line = LineDraft(child=junior, activity=town.repas_maternelle, unit_price=Decimal("1.005"), is_unbooked=False)
    line.dates = [MON, TUE, THU]
    assert line.amount == Decimal("3.02")  # 3.015 → 3.02, not 3 × 1.01 nor 3 × 1.00
    book(junior, town.repas_maternelle, MON, TUE, THU)
    [billed] = lines_of(family, town)
    assert billed.amount.as_tuple().exponent == -2


def test_nothing_to_pay_gives_no_line(family, town, junior):
    book(junior, town.repas_maternelle, MON, status=Booking.Status.CANCELLED)
    book(junior, town.repas_maternelle, TUE)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=TUE, status=Attendance.Status.ABSENT_JUSTIFIED)
    assert lines_of(family, town) == []


def test_days_of_another_regie_or_month_are_not_billed(family, town, junior):
    book(family.children[1], town.garderie_soir, MON)
    book(junior, town.repas_maternelle, datetime.date(2027, 1, 4))
    assert lines_of(family, town) == []


def test_a_booking_on_a_closed_day_is_not_billed(family, town, junior):
    factories.ClosureFactory(name="Grève", start_date=TUE, end_date=TUE)
    book(junior, town.repas_maternelle, MON, TUE)
    [line] = lines_of(family, town)
    assert line.dates == [MON]


def test_a_missing_tariff_is_reported(family, town, junior):
    book(family.children[1], town.repas_primaire, MON)
    town.repas_primaire.tariffs.all().delete()
    with pytest.raises(BillingError, match="Aucun tarif « Repas primaire »"):
        lines_of(family, town)


def test_the_payer_is_named_as_in_the_memo(family):
    assert payer_snapshot(family.household)["payer_name"] == "M TEST Deux"
    assert payer_snapshot(family.household)["payer_email"] == "parent@example.org"

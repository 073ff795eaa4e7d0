"""The price of a basket's changes and the month's running estimate, from the billing rules."""

import datetime
from decimal import Decimal

from core.models import Attendance, Booking, Household
from core.services.basket import basket_add, basket_items, basket_validate
from core.services.billing import household_month_lines
from core.services.deadlines import PARIS
from core.services.estimates import basket_prices, month_estimate
from core.services.reference import reference_data
from tests import factories
from tests.core.test_billing import DECEMBER, FRI, MON, THU, TUE, book, junior, priced  # noqa: F401

EARLY = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)


def test_each_change_shows_the_childs_tariff_of_that_day_and_the_months_total(family, town, junior):  # noqa: F811
    lise = family.children[1]
    book(junior, town.repas_maternelle, MON)
    basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=TUE, action="book", now=EARLY)
    basket_add(guardian=family.parent, child=lise, activity=town.repas_primaire, day=THU, action="book", now=EARLY)
    basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=MON, action="cancel", now=EARLY)
    items = basket_items(guardian=family.parent, now=EARLY)

    [december] = basket_prices(household=family.household, items=items)

    prices = {(i.child.first_name, i.date, i.action): i.price for i in items}
    assert prices == {
        ("Junior", TUE, "book"): Decimal("3.70"),  # bracket C (QF 1350), resident
        ("Lise", THU, "book"): Decimal("3.90"),
        ("Junior", MON, "cancel"): Decimal("-3.70"),
    }
    assert (december.label, december.delta, december.unpriced) == ("décembre 2026", Decimal("3.90"), 0)


def test_a_change_that_would_be_refused_costs_nothing(family, town, junior):  # noqa: F811
    basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=TUE, action="book", now=EARLY)
    late = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)
    items = basket_items(guardian=family.parent, now=late)
    [december] = basket_prices(household=family.household, items=items)
    assert items[0].price is None and december.delta == 0


def test_a_missing_tariff_is_said_not_guessed(family, town, junior):  # noqa: F811
    lise = family.children[1]
    basket_add(guardian=family.parent, child=lise, activity=town.garderie_soir, day=TUE, action="book", now=EARLY)
    items = basket_items(guardian=family.parent, now=EARLY)
    [december] = basket_prices(household=family.household, items=items)
    assert items[0].price is None and december.unpriced == 1 and december.delta == 0


def test_the_month_estimate_is_what_the_invoice_run_would_bill_and_what_the_basket_adds(family, town, junior):  # noqa: F811
    book(junior, town.repas_maternelle, MON, TUE, THU)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=TUE, status=Attendance.Status.ABSENT_JUSTIFIED)
    basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=FRI, action="book", now=EARLY)
    items = basket_items(guardian=family.parent, now=EARLY)
    effects = basket_prices(household=family.household, items=items)

    estimate = month_estimate(household=family.household, month=datetime.date(2026, 12, 10), basket_effects=effects)

    billed = sum(line.amount for line in household_month_lines(household=family.household, regie=town.regie, month=DECEMBER))
    assert estimate.amount == billed == Decimal("7.40")  # the justified absence is not billed
    assert estimate.with_basket == Decimal("11.10")
    basket_validate(guardian=family.parent, now=EARLY)
    assert month_estimate(household=family.household, month=DECEMBER).amount == Decimal("11.10")



def test_the_month_estimate_reads_plain_rows_and_matches_the_invoice_run_regie_by_regie(
    family, town, junior, priced, django_assert_num_queries  # noqa: F811
):
    lise = family.children[1]
    factories.TariffFactory(activity=town.garderie_soir, bracket=priced[2], unit_price=Decimal("1.50"))
    book(junior, town.repas_maternelle, MON, TUE, THU)
    book(lise, town.repas_primaire, MON, FRI)
    book(lise, town.garderie_soir, TUE, THU)
    book(lise, town.garderie_soir, FRI, status=Booking.Status.CANCELLED)
    factories.AttendanceFactory(child=junior, activity=town.repas_maternelle, date=TUE, status=Attendance.Status.ABSENT_JUSTIFIED)
    factories.AttendanceFactory(child=lise, activity=town.garderie_soir, date=MON, status=Attendance.Status.PRESENT_UNBOOKED)
    # An activity of a régie the household has no enrolment in: the estimate leaves it out, as before.
    sport = factories.ActivityFactory(
        name="Multisport", code="multisport", regie=factories.RegieFactory(name="Régie des sports", invoice_prefix="SP"),
        booking_rule=town.meals_rule,
    )
    factories.BookingFactory(child=junior, activity=sport, date=MON)
    reference_data()  # current, as on every request after the first
    household = Household.objects.get(pk=family.household.pk)

    # the version token, the quotients, the enrolled activities, the month's bookings and
    # attendance: nothing per régie
    with django_assert_num_queries(5):
        estimate = month_estimate(household=household, month=DECEMBER)

    billed = [
        line.amount
        for regie in (town.regie, town.garderie_soir.regie)
        for line in household_month_lines(household=family.household, regie=regie, month=DECEMBER)
    ]
    assert estimate.amount == sum(billed)
    # Junior: 2 meals at 3.70 (the absence is justified); Lise: 2 meals at 3.90, 2 evenings at 1.50
    # and one evening without booking at 1.50 + the surcharge
    assert sum(billed) == Decimal("7.40") + Decimal("7.80") + Decimal("3.00") + Decimal("1.50") + town.garderie_soir.late_surcharge
    assert len(billed) == 4

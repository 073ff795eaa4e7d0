"""Accueil de loisirs (ALSH): units per age group, registration windows, capacity at validation,
waiting list, minimum days, billing, kitchen counts and the staff planning."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import Activity, Booking, DeadlineRule, RegistrationWindow, WaitingListEntry
from core.services.basket import basket_add, basket_add_period, basket_validate
from core.services.billing import household_month_lines
from core.services.bookings import AGE_REFUSED_REASON, FULL_REASON, NO_WINDOW_REASON, CellState, Refusal, week_view
from core.services.deadlines import PARIS
from core.services.headcounts import headcounts_compute
from core.services.leisure import family_windows, leisure_planning, window_fill
from core.services.waiting_lists import waiting_list_join
from tests import factories


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


MONDAY = datetime.date(2027, 2, 15)  # first day of the winter holidays
TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
PRIORITY = paris(2027, 1, 4, 18, 0)
OPENS = paris(2027, 1, 11, 18, 0)
CLOSES = paris(2027, 2, 5, 12, 0)
BEFORE = paris(2027, 1, 2, 9, 0)
OPEN = paris(2027, 1, 11, 18, 0, 5)


@dataclass
class Alsh:
    window: RegistrationWindow
    morning: Activity
    afternoon: Activity
    day_with_meal: Activity
    big_morning: Activity  # 6–11 ans


def make_alsh(town, *, capacity=2, min_days=None):
    regie = factories.RegieFactory(name="Régie de l'accueil de loisirs", invoice_prefix="AL")
    rule = factories.DeadlineRuleFactory(name="ALSH : 2 jours avant", kind=DeadlineRule.Kind.CALENDAR_DAYS, days=2)
    factories.ClosureFactory(name="Vacances d'hiver", start_date=datetime.date(2027, 2, 13), end_date=datetime.date(2027, 3, 1))

    def unit(name, half_day, *, meal=False, ages=(3, 5)):
        return factories.ActivityFactory(
            name=name, code=f"alsh-{ages[0]}-{half_day}{'-repas' if meal else ''}", kind=Activity.Kind.LEISURE, regie=regie,
            booking_rule=rule, weekdays=[0, 1, 2, 3, 4], grades=["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"],
            capacity=capacity, half_day=half_day, includes_meal=meal, min_age=ages[0], max_age=ages[1],
        )

    alsh = Alsh(
        window=RegistrationWindow.objects.create(
            label="Vacances d'hiver 2027", start_date=MONDAY, end_date=datetime.date(2027, 2, 26), weekdays=[0, 1, 2, 3, 4],
            opens_at=OPENS, closes_at=CLOSES, priority_opens_at=PRIORITY, min_days_per_week=min_days,
        ),
        morning=unit("ALSH 3–5 ans matin", Activity.HalfDay.MORNING),
        afternoon=unit("ALSH 3–5 ans après-midi", Activity.HalfDay.AFTERNOON),
        day_with_meal=unit("ALSH 3–5 ans journée avec repas", Activity.HalfDay.DAY, meal=True),
        big_morning=unit("ALSH 6–11 ans matin", Activity.HalfDay.MORNING, ages=(6, 11)),
    )
    alsh.window.activities.set([alsh.morning, alsh.afternoon, alsh.day_with_meal, alsh.big_morning])
    return alsh


def enrol(town, child, *units):
    for unit in units:
        factories.EnrolmentFactory(child=child, activity=unit, school_year=town.school_year)


@pytest.fixture
def alsh(town):
    return make_alsh(town)


@pytest.fixture
def junior(town, family, alsh):
    """Junior (born 14/03/2022: 4 on the first day of the holidays) is enrolled in every unit."""
    child = family.children[0]
    enrol(town, child, alsh.morning, alsh.afternoon, alsh.day_with_meal, alsh.big_morning)
    return child


def household_with_child(town, name, *units, resident=True):
    home = factories.HouseholdFactory(reference=name, name=name, is_resident=resident)
    parent = factories.ParentFactory(household=home, email=f"{name.lower()}@example.org")
    child = factories.ChildFactory(household=home, first_name=name.title(), grade="MS", school=town.maternelle)
    enrol(town, child, *units)
    return parent, child


def cell(view, child, activity, day):
    row = next(r for c in view.children if c.child_id == child.pk for r in c.rows if r.activity_id == activity.pk)
    return next(c for c in row.cells if c.date == day)


def test_before_the_opening_the_grid_says_when_registration_opens(family, junior, alsh):
    family.household.is_resident = False
    family.household.save()
    view = week_view(guardian=family.parent, day=MONDAY, now=BEFORE)
    morning = cell(view, junior, alsh.morning, MONDAY)
    assert morning.state == CellState.CLOSED
    assert morning.closure_reason == "Inscriptions à partir du 11/01/2027 à 18h00"
    with pytest.raises(ValidationError) as refused:
        basket_add(guardian=family.parent, child=junior, activity=alsh.morning, day=MONDAY, action="book", now=BEFORE)
    assert refused.value.code == Refusal.NOT_OPEN
    assert "inscriptions à partir du 11/01/2027 à 18h00" in refused.value.messages[0]


def test_resident_families_book_from_the_priority_opening(town, family, junior, alsh):
    between = PRIORITY + datetime.timedelta(minutes=1)
    basket_add(guardian=family.parent, child=junior, activity=alsh.morning, day=MONDAY, action="book", now=between)
    outsider, child = household_with_child(town, "EXTERIEUR", alsh.morning, resident=False)
    with pytest.raises(ValidationError) as refused:
        basket_add(guardian=outsider, child=child, activity=alsh.morning, day=MONDAY, action="book", now=between)
    assert refused.value.code == Refusal.NOT_OPEN


def test_the_holiday_closure_does_not_close_the_alsh_and_term_days_outside_a_window_are_closed(family, junior, alsh, town):
    view = week_view(guardian=family.parent, day=MONDAY, now=OPEN)
    assert cell(view, junior, alsh.morning, MONDAY).state == CellState.NOT_BOOKED
    # The school canteen stays closed in the holidays.
    view = week_view(guardian=family.parent, day=MONDAY, now=OPEN)
    assert cell(view, junior, town.repas_maternelle, MONDAY).closure_reason == "Vacances d'hiver"
    term = week_view(guardian=family.parent, day=datetime.date(2027, 3, 8), now=OPEN)
    assert cell(term, junior, alsh.morning, datetime.date(2027, 3, 9)).closure_reason == NO_WINDOW_REASON


def test_a_parent_books_half_days_at_the_opening_and_the_deadline_is_the_closing(family, junior, alsh):
    view = week_view(guardian=family.parent, day=MONDAY, now=OPEN)
    assert cell(view, junior, alsh.morning, MONDAY).deadline == CLOSES
    for unit, day in ((alsh.morning, MONDAY), (alsh.afternoon, TUESDAY)):
        basket_add(guardian=family.parent, child=junior, activity=unit, day=day, action="book", now=OPEN)
    result = basket_validate(guardian=family.parent, now=OPEN)
    assert [(b.activity, b.date) for b in result.booked] == [(alsh.morning, MONDAY), (alsh.afternoon, TUESDAY)]
    after = week_view(guardian=family.parent, day=MONDAY, now=CLOSES + datetime.timedelta(minutes=1))
    assert cell(after, junior, alsh.morning, WEDNESDAY).state == CellState.LOCKED


def test_the_age_group_comes_from_the_birth_date_on_the_first_day_of_the_period(family, junior, alsh):
    view = week_view(guardian=family.parent, day=MONDAY, now=OPEN)
    assert cell(view, junior, alsh.big_morning, MONDAY).closure_reason == AGE_REFUSED_REASON
    junior.birth_date = datetime.date(2021, 2, 15)  # 6 that very day
    junior.save()
    view = week_view(guardian=family.parent, day=MONDAY, now=OPEN)
    assert cell(view, junior, alsh.big_morning, MONDAY).state == CellState.NOT_BOOKED
    assert cell(view, junior, alsh.morning, MONDAY).closure_reason == AGE_REFUSED_REASON


def test_the_last_place_goes_to_the_first_validation_the_other_gets_a_waiting_list_place(town, alsh):
    alsh.morning.capacity = 1
    alsh.morning.save()
    first, first_child = household_with_child(town, "PREMIER", alsh.morning)
    second, second_child = household_with_child(town, "SECOND", alsh.morning)
    for parent, child in ((first, first_child), (second, second_child)):
        basket_add(guardian=parent, child=child, activity=alsh.morning, day=MONDAY, action="book", now=OPEN)
    assert len(basket_validate(guardian=first, now=OPEN).booked) == 1
    refused = basket_validate(guardian=second, now=OPEN)
    assert refused.booked == []
    assert [r.code for r in refused.refused] == [Refusal.FULL]
    assert "complet, plus aucune place" in refused.refused[0].reason
    view = week_view(guardian=second, day=MONDAY, now=OPEN)
    assert cell(view, second_child, alsh.morning, MONDAY).closure_reason == FULL_REASON
    entry = waiting_list_join(guardian=second, child=second_child, activity=alsh.morning, day=MONDAY, now=OPEN)
    assert entry.position == 1 and WaitingListEntry.objects.waiting().count() == 1
    assert Booking.objects.active().filter(activity=alsh.morning, date=MONDAY).count() == 1


def test_a_minimum_of_days_per_week_refuses_a_shorter_week(town, family):
    alsh = make_alsh(town, min_days=3)
    child = family.children[0]
    enrol(town, child, alsh.morning, alsh.afternoon)
    basket_add(guardian=family.parent, child=child, activity=alsh.morning, day=MONDAY, action="book", now=OPEN)
    basket_add(guardian=family.parent, child=child, activity=alsh.afternoon, day=TUESDAY, action="book", now=OPEN)
    result = basket_validate(guardian=family.parent, now=OPEN)
    assert result.booked == []
    assert {r.code for r in result.refused} == {Refusal.MIN_DAYS}
    assert "au moins 3 jours dans la semaine (2 choisis)" in result.refused[0].reason
    basket_add(guardian=family.parent, child=child, activity=alsh.morning, day=WEDNESDAY, action="book", now=OPEN)
    assert len(basket_validate(guardian=family.parent, now=OPEN).booked) == 3


def test_a_whole_holiday_is_put_in_the_basket_by_period(family, junior, alsh):
    result = basket_add_period(
        guardian=family.parent, children=[junior], start=MONDAY, end=datetime.date(2027, 2, 26),
        weekdays=[0, 1, 2, 3, 4], activity=alsh.day_with_meal, now=OPEN,
    )
    assert len(result.added) == 10 and result.skipped == []


def test_alsh_units_are_billed_by_bracket_and_residency_in_the_month(town, family, junior, alsh):
    low = factories.QuotientBracketFactory(label="QF < 700", min_value=0, max_value=699)
    high = factories.QuotientBracketFactory(label="QF ≥ 700", min_value=700, max_value=None)
    for bracket, resident, price in ((low, True, "4.00"), (high, True, "7.50"), (high, False, "11.00"), (low, False, "9.00")):
        factories.TariffFactory(activity=alsh.morning, bracket=bracket, is_resident=resident, unit_price=Decimal(price))
    factories.QuotientFamilialFactory(household=family.household, value=650)
    factories.book(junior, alsh.morning, [MONDAY, TUESDAY])
    lines = household_month_lines(household=family.household, regie=alsh.morning.regie, month=MONDAY)
    assert [(line.activity, line.quantity, line.amount) for line in lines] == [(alsh.morning, 2, Decimal("8.00"))]
    family.household.is_resident = False
    family.household.save()
    lines = household_month_lines(household=family.household, regie=alsh.morning.regie, month=MONDAY)
    assert lines[0].amount == Decimal("18.00")


def test_alsh_meals_are_in_the_kitchen_counts_and_units_in_the_planning(town, family, junior, alsh):
    factories.book(junior, alsh.day_with_meal, [MONDAY])
    factories.book(junior, alsh.morning, [TUESDAY])
    sheet = headcounts_compute(start=MONDAY, end=MONDAY + datetime.timedelta(days=4), activity_kind="meal")
    assert [(row.activity, row.total) for row in sheet.rows] == [(alsh.day_with_meal, 1)]
    planning = leisure_planning(start=MONDAY, end=TUESDAY)
    assert [d.day for d in planning] == [MONDAY, TUESDAY]
    monday = {c.activity: c.children for c in planning[0].cells}
    assert monday[alsh.day_with_meal] == [junior] and monday[alsh.morning] == []


def test_the_fill_rate_counts_bookings_against_places(town, family, junior, alsh):
    factories.book(junior, alsh.morning, [MONDAY, TUESDAY])
    (fill,) = window_fill(windows=[alsh.window])
    # 4 units × 2 places × 10 days
    assert (fill.booked, fill.places, fill.rate) == (2, 80, 2)


def test_a_family_sees_the_windows_of_its_units_with_its_own_opening(family, junior, alsh):
    (window,) = family_windows(guardian=family.parent, now=BEFORE)
    assert window.opening == PRIORITY and not window.is_open
    assert window.weeks == [MONDAY, datetime.date(2027, 2, 22)]
    assert family_windows(guardian=family.parent, now=CLOSES + datetime.timedelta(seconds=1)) == []


def test_a_holiday_unit_outside_a_window_cannot_be_booked_by_staff(town, junior, alsh, staff_agent):
    from core.services.bookings import booking_override

    with pytest.raises(ValidationError, match="Pas d'accueil de loisirs ce jour-là"):
        booking_override(
            child=junior, activity=alsh.morning, day=datetime.date(2027, 3, 9), action="book", staff_user=staff_agent,
            now=OPEN,
        )
    booking = booking_override(child=junior, activity=alsh.morning, day=MONDAY, action="book", staff_user=staff_agent, now=BEFORE)
    assert booking.is_override


def test_a_window_refuses_inverted_dates(alsh):
    alsh.window.closes_at = alsh.window.opens_at
    with pytest.raises(ValidationError):
        alsh.window.full_clean()
    alsh.morning.half_day = ""
    with pytest.raises(ValidationError, match="matin, l'après-midi ou la journée"):
        alsh.morning.clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_validations_at_the_opening_never_exceed_the_capacity(town):
    """Twelve households validate the same morning at the same instant for three places: exactly
    three get it, the others are refused « complet » and keep their basket item."""
    from tests.concurrency import run_concurrently

    alsh = make_alsh(town, capacity=3)
    parents = []
    for i in range(12):
        parent, child = household_with_child(town, f"COURSE{i}", alsh.morning, alsh.afternoon)
        basket_add(guardian=parent, child=child, activity=alsh.morning, day=MONDAY, action="book", now=OPEN)
        basket_add(guardian=parent, child=child, activity=alsh.afternoon, day=MONDAY, action="book", now=OPEN)
        parents.append(parent)
    results, errors = run_concurrently(*(lambda p=p: basket_validate(guardian=p, now=OPEN) for p in parents))
    assert errors == []
    for unit in (alsh.morning, alsh.afternoon):
        assert Booking.objects.active().filter(activity=unit, date=MONDAY).count() == 3
    assert sum(len(r.booked) for r in results) == 6
    refused = [r for result in results for r in result.refused]
    assert len(refused) == 18 and {r.code for r in refused} == {Refusal.FULL}

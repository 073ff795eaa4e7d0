import datetime

import pytest

from core.models import Booking
from core.services.bookings import week_view
from core.services.deadlines import PARIS
from core.services.reference import reference_data
from tests import factories

MONDAY = datetime.date(2027, 5, 3)  # the week of Ascension Thursday (6 May 2027)
NOW = datetime.datetime(2027, 5, 3, 9, 0, tzinfo=PARIS)


def cells_of(view, child, activity):
    [child_week] = [c for c in view.children if c.child_id == child.pk]
    [row] = [r for r in child_week.rows if r.activity_id == activity.pk]
    return {cell.date: cell for cell in row.cells}


def test_week_has_one_row_per_enrolled_activity_and_one_cell_per_service_day(family, town):
    view = week_view(guardian=family.parent, day=datetime.date(2027, 5, 5), now=NOW)
    assert view.week_start == MONDAY and view.week_end == datetime.date(2027, 5, 9)
    assert [d.label for d in view.days] == ["Lun. 03/05", "Mar. 04/05", "Jeu. 06/05", "Ven. 07/05"]
    assert view.label == "Semaine du 03/05/2027 au 07/05/2027"
    assert view.previous_week == datetime.date(2027, 4, 26) and view.next_week == datetime.date(2027, 5, 10)
    junior, lise = family.children
    by_child = {c.child_id: [r.activity_name for r in c.rows] for c in view.children}
    assert by_child == {junior.pk: ["Repas maternelle"], lise.pk: ["Garderie soir", "Repas primaire"]}  # by position, then name
    assert len(cells_of(view, junior, town.repas_maternelle)) == 4


def test_states_locked_closed_booked_and_not_booked(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=datetime.date(2027, 5, 7))
    cells = cells_of(week_view(guardian=family.parent, day=MONDAY, now=NOW), junior, town.repas_maternelle)
    monday, tuesday, thursday, friday = (cells[datetime.date(2027, 5, d)] for d in (3, 4, 6, 7))
    assert monday.state == "locked" and not monday.is_booked and not monday.can_change
    assert monday.deadline == datetime.datetime(2027, 4, 29, 10, 0, tzinfo=PARIS)
    assert tuesday.state == "locked"
    assert thursday.state == "closed" and thursday.closure_reason == "Jour férié (Ascension)"
    assert thursday.deadline is None and not thursday.can_change
    assert friday.state == "booked" and friday.is_booked and friday.can_change
    assert friday.deadline == datetime.datetime(2027, 5, 4, 10, 0, tzinfo=PARIS)
    assert friday.deadline_label == "mardi 04/05 à 10h00"


def test_french_labels_ready_to_display(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=datetime.date(2027, 5, 7))
    cells = cells_of(week_view(guardian=family.parent, day=MONDAY, now=NOW), junior, town.repas_maternelle)
    friday = cells[datetime.date(2027, 5, 7)]
    assert friday.day_label == "Ven. 07/05"
    assert friday.accessible_name == "Junior TEST, Repas maternelle, vendredi 7 mai : réservé"
    assert cells[datetime.date(2027, 5, 6)].accessible_name == "Junior TEST, Repas maternelle, jeudi 6 mai : fermé (Jour férié (Ascension))"
    assert cells[datetime.date(2027, 5, 3)].accessible_name == "Junior TEST, Repas maternelle, lundi 3 mai : non réservé, délai dépassé"


def test_a_cancelled_booking_shows_as_not_booked(family, town):
    junior = family.children[0]
    factories.BookingFactory(
        child=junior, activity=town.repas_maternelle, date=datetime.date(2027, 5, 7),
        status=Booking.Status.CANCELLED, cancelled_at=NOW,
    )
    cells = cells_of(week_view(guardian=family.parent, day=MONDAY, now=NOW), junior, town.repas_maternelle)
    assert cells[datetime.date(2027, 5, 7)].state == "not_booked"


def test_school_holidays_close_every_day_with_their_name(family, town):
    view = week_view(guardian=family.parent, day=datetime.date(2026, 10, 20), now=NOW)
    for child_week in view.children:
        for row in child_week.rows:
            assert row.cells and {(c.state, c.closure_reason) for c in row.cells} == {("closed", "Vacances de la Toussaint")}


def test_pending_basket_changes_are_shown(family, town):
    from core.services.basket import basket_add

    junior = family.children[0]
    now = datetime.datetime(2027, 4, 20, 9, 0, tzinfo=PARIS)
    item = basket_add(
        guardian=family.parent, child=junior, activity=town.repas_maternelle, day=datetime.date(2027, 5, 7),
        action="book", now=now,
    )
    view = week_view(guardian=family.parent, day=MONDAY, now=now)
    friday = cells_of(view, junior, town.repas_maternelle)[datetime.date(2027, 5, 7)]
    assert friday.state == "not_booked" and friday.pending.item_id == item.pk and friday.pending.action == "book"
    assert friday.accessible_name == "Junior TEST, Repas maternelle, vendredi 7 mai : non réservé, réservation dans le panier"
    assert view.pending_count == 1


def test_basket_of_the_other_guardian_is_not_shown(separated_couple, town):
    from core.services.basket import basket_add

    mother, father = separated_couple.guardians
    now = datetime.datetime(2027, 4, 20, 9, 0, tzinfo=PARIS)
    basket_add(
        guardian=mother, child=separated_couple.children[0], activity=town.repas_maternelle,
        day=datetime.date(2027, 5, 7), action="book", now=now,
    )
    view = week_view(guardian=father, day=MONDAY, now=now)
    assert view.pending_count == 0
    assert all(cell.pending is None for c in view.children for r in c.rows for cell in r.cells)


def test_only_the_household_children_are_shown(family, other_family, town):
    view = week_view(guardian=family.parent, day=MONDAY, now=NOW)
    assert {c.child_id for c in view.children} == {c.pk for c in family.children}


def test_a_child_of_a_grade_the_activity_does_not_accept_is_closed(family, town):
    junior = family.children[0]
    junior.grade = "CP"
    junior.save()
    cells = cells_of(week_view(guardian=family.parent, day=MONDAY, now=NOW), junior, town.repas_maternelle)
    assert {c.closure_reason for c in cells.values() if c.state == "closed"} >= {"Classe non acceptée"}


def _grow_household(family, town, extra_children):
    """More children, activities and bookings in the same household."""
    garderie_matin = factories.ActivityFactory(
        name="Garderie matin", code="garderie-matin", regie=town.regie, booking_rule=town.childcare_rule,
        grades=["PS", "MS", "GS", "CP", "CE1"], weekdays=[0, 1, 2, 3, 4],
    )
    for n in range(extra_children):
        child = factories.ChildFactory(household=family.household, first_name=f"Cadet{n}", grade="GS", school=town.maternelle)
        for activity in (town.repas_maternelle, town.garderie_soir, garderie_matin):
            factories.EnrolmentFactory(child=child, activity=activity, school_year=town.school_year)
            for day in (3, 4, 7):
                factories.BookingFactory(child=child, activity=activity, date=datetime.date(2027, 5, day))


def test_query_count_does_not_grow_with_children_activities_or_bookings(
    family, town, django_assert_num_queries
):
    # Cold: the reference data's version token, then school years, closures, activities with
    # their rules, quotient brackets and tariffs (core/services/reference.py), then the household's
    # children, enrolments, bookings and basket lines.
    with django_assert_num_queries(10):
        week_view(guardian=family.parent, day=MONDAY, now=NOW)
    # As every later request of the process: the token, then the household's four queries.
    with django_assert_num_queries(5):
        small = week_view(guardian=family.parent, day=MONDAY, now=NOW)
    _grow_household(family, town, extra_children=4)
    reference_data()
    with django_assert_num_queries(5):
        large = week_view(guardian=family.parent, day=MONDAY, now=NOW)
    assert len(large.children) == len(small.children) + 4
    assert sum(len(r.cells) for c in large.children for r in c.rows) > 3 * sum(
        len(r.cells) for c in small.children for r in c.rows
    )


@pytest.mark.parametrize("day", [datetime.date(2027, 5, 3), datetime.date(2027, 5, 9)])
def test_any_day_of_the_week_gives_the_same_week(family, day):
    assert week_view(guardian=family.parent, day=day, now=NOW).week_start == MONDAY

"""The reference data cache (core/services/reference.py): every write path of the data staff
change rarely redraws the version token in its own transaction, and the week view never shows
what a staff change has replaced."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from core.models import (
    Activity, Closure, DeadlineRule, QuotientBracket, ReferenceVersion, RegistrationWindow, SchoolYear, Tariff,
)
from core.services import reference
from core.services.bookings import CellState, week_view
from core.services.deadlines import PARIS
from tests import factories

DAY = datetime.date(2026, 12, 7)  # a Monday of the test school year
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)


def token():
    return ReferenceVersion.current_token()


def _writes(town):
    """(model, create, update, delete) for every model the reference data hold."""
    return [
        (SchoolYear, lambda: factories.SchoolYearFactory(label="2030-2031", start_date=datetime.date(2030, 9, 1), end_date=datetime.date(2031, 7, 4))),
        (Closure, lambda: factories.ClosureFactory(name="Grève", start_date=DAY, end_date=DAY)),
        (DeadlineRule, lambda: factories.DeadlineRuleFactory(name="Veille midi")),
        (Activity, lambda: factories.ActivityFactory(name="Étude", code="etude", regie=town.regie, booking_rule=town.meals_rule)),
        (QuotientBracket, lambda: factories.QuotientBracketFactory()),
        (Tariff, lambda: factories.TariffFactory(activity=town.repas_primaire)),
        (RegistrationWindow, lambda: RegistrationWindow.objects.create(
            label="Hiver", start_date=DAY, end_date=DAY, opens_at=NOW, closes_at=NOW + datetime.timedelta(days=1),
        )),
    ]


def test_every_reference_model_is_tracked(town):
    assert {model for model, _ in _writes(town)} == set(reference.TRACKED_MODELS)


@pytest.mark.parametrize("index", range(7), ids=[m.__name__ for m in reference.TRACKED_MODELS])
def test_create_update_and_delete_each_redraw_the_token(town, index):
    _model, create = _writes(town)[index]
    before = token()
    row = create()
    created = token()
    assert created not in (None, before)
    row.save()
    updated = token()
    assert updated != created
    row.delete()
    assert token() != updated


def test_adding_a_unit_to_a_window_redraws_the_token(town):
    window = RegistrationWindow.objects.create(
        label="Hiver", start_date=DAY, end_date=DAY, opens_at=NOW, closes_at=NOW + datetime.timedelta(days=1),
    )
    unit = factories.ActivityFactory(
        name="ALSH matin", code="alsh-matin", regie=town.regie, booking_rule=town.meals_rule,
        kind=Activity.Kind.LEISURE, half_day=Activity.HalfDay.MORNING,
    )
    before = token()
    window.activities.add(unit)
    assert token() != before
    assert reference.reference_data().windows[0].activity_ids == {unit.pk}


def test_the_token_moves_in_the_transaction_of_the_change(town):
    before = token()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.ClosureFactory(name="Annulée", start_date=DAY, end_date=DAY)
        assert token() != before
        raise RuntimeError
    assert token() == before  # rolled back with the change it marked


def test_a_staff_closure_entered_in_the_admin_closes_the_cached_week(client, administrateur, family, town):
    parent = family.parent
    first = week_view(guardian=parent, day=DAY, now=NOW)  # the process now holds the reference data
    assert any(c.state != CellState.CLOSED for child in first.children for row in child.rows for c in row.cells)
    before = token()
    client.force_login(administrateur)
    response = client.post(
        reverse("admin:core_closure_add"),
        {"name": "Grève des agents", "kind": Closure.Kind.STRIKE, "start_date": "07/12/2026", "end_date": "11/12/2026", "school": "", "activity": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert token() != before
    week = week_view(guardian=parent, day=DAY, now=NOW)
    assert {c.closure_reason for child in week.children for row in child.rows for c in row.cells} == {"Grève des agents"}


def test_a_deadline_rule_changed_by_staff_moves_the_cached_deadlines(family, town):
    parent = family.parent
    first = week_view(guardian=parent, day=DAY, now=NOW)
    deadlines = {c.deadline for child in first.children for row in child.rows for c in row.cells if c.deadline}
    town.meals_rule.kind = DeadlineRule.Kind.CALENDAR_DAYS
    town.meals_rule.days = 30
    town.meals_rule.save()
    week = week_view(guardian=parent, day=DAY, now=NOW)
    assert {c.deadline for child in week.children for row in child.rows for c in row.cells if c.deadline} != deadlines
    assert any(c.state == CellState.LOCKED for child in week.children for row in child.rows for c in row.cells)


def test_the_cache_is_reused_while_the_token_holds(town, django_assert_num_queries):
    reference.reference_data()
    with django_assert_num_queries(1):  # the token alone
        data = reference.reference_data()
    assert set(data.activities) == set(Activity.objects.values_list("pk", flat=True))


def test_an_activity_newer_than_the_held_token_reloads_the_reference_data(family, town):
    """An activity committed between a request's token and its enrolments' query (simulated by a
    write that draws no token) is read rather than missed."""
    week_view(guardian=family.parent, day=DAY, now=NOW)
    [etude] = Activity.objects.bulk_create([
        Activity(name="Étude", code="etude", kind=Activity.Kind.CHILDCARE, regie=town.regie, weekdays=[0, 1, 3, 4],
                 grades=["CE1"], booking_rule=town.meals_rule, cancellation_rule=town.meals_rule, position=9)
    ])
    lise = family.children[1]
    factories.EnrolmentFactory(child=lise, activity=etude, school_year=town.school_year)
    week = week_view(guardian=family.parent, day=DAY, now=NOW)
    assert "Étude" in [row.activity_name for child in week.children for row in child.rows]


def test_a_tariff_changed_by_staff_reprices_the_cached_price_book(town):
    from decimal import Decimal

    from core.services.billing import PriceBook

    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    tariff = factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price=Decimal("3.70"))
    household = factories.HouseholdFactory()
    book = PriceBook.from_reference(reference.reference_data(), DAY, DAY)
    assert book.unit_price(household=household, activity=town.repas_maternelle, day=DAY) == Decimal("3.70")
    tariff.unit_price = Decimal("4.10")
    tariff.save()
    book = PriceBook.from_reference(reference.reference_data(), DAY, DAY)
    assert book.unit_price(household=household, activity=town.repas_maternelle, day=DAY) == Decimal("4.10")
    bracket.min_value = 100
    bracket.save()  # the household, without quotient, still falls in the highest bracket
    assert reference.reference_data().brackets[0].min_value == 100

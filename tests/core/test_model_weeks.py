"""The model week and siblings in one action: saved per child, applied to a period by service kind."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import BasketItem
from core.services.basket import basket_add_period
from core.services.deadlines import PARIS
from core.services.model_weeks import basket_apply_model_week, model_week_of, model_week_save
from tests import factories

EARLY = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
START, END = datetime.date(2026, 12, 7), datetime.date(2026, 12, 13)  # one week, Monday to Sunday


def booked(guardian):
    return sorted(
        (i.child.first_name, i.activity.name, i.date.day) for i in BasketItem.objects.filter(basket__guardian=guardian)
    )


def test_siblings_in_different_schools_book_the_canteen_in_one_action(family, town):
    junior, lise = family.children
    result = basket_add_period(
        guardian=family.parent, children=[junior, lise], kind="meal", start=START, end=END, weekdays=[0, 3], now=EARLY
    )
    assert result.skipped == []
    assert booked(family.parent) == [
        ("Junior", "Repas maternelle", 7), ("Junior", "Repas maternelle", 10),
        ("Lise", "Repas primaire", 7), ("Lise", "Repas primaire", 10),
    ]  # not Lise's garderie: « la cantine » only


def test_booking_a_kind_nobody_is_enrolled_in_is_refused(family, town):
    with pytest.raises(ValidationError, match="Aucun des enfants choisis"):
        basket_add_period(
            guardian=family.parent, children=family.children[:1], kind="childcare", start=START, end=END, weekdays=[0],
            now=EARLY,
        )


def test_a_saved_model_week_is_applied_to_a_period_with_the_days_left_out_and_why(family, town):
    junior, lise = family.children
    model_week_save(guardian=family.parent, child=junior, days={town.repas_maternelle.pk: [0, 1, 3, 4, 6]})
    model_week_save(guardian=family.parent, child=lise, days={town.repas_primaire.pk: [1], town.garderie_soir.pk: [1, 3]})
    assert model_week_of(children=[junior, lise]) == {
        junior.pk: {town.repas_maternelle.pk: [0, 1, 3, 4]},  # no meal on Sundays: not kept
        lise.pk: {town.repas_primaire.pk: [1], town.garderie_soir.pk: [1, 3]},
    }
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=datetime.date(2026, 12, 8))

    result = basket_apply_model_week(guardian=family.parent, children=[junior, lise], start=START, end=END, now=EARLY)

    assert booked(family.parent) == [
        ("Junior", "Repas maternelle", 7), ("Junior", "Repas maternelle", 10), ("Junior", "Repas maternelle", 11),
        ("Lise", "Garderie soir", 8), ("Lise", "Garderie soir", 10), ("Lise", "Repas primaire", 8),
    ]
    [skipped] = result.skipped
    assert (skipped.child_id, skipped.date, skipped.code) == (junior.pk, datetime.date(2026, 12, 8), "already_booked")


def test_the_model_week_of_the_canteen_only(family, town):
    lise = family.children[1]
    model_week_save(guardian=family.parent, child=lise, days={town.repas_primaire.pk: [1], town.garderie_soir.pk: [1]})
    basket_apply_model_week(guardian=family.parent, children=[lise], start=START, end=END, kind="meal", now=EARLY)
    assert booked(family.parent) == [("Lise", "Repas primaire", 8)]


def test_a_model_week_names_only_the_childs_enrolments_and_household(family, other_family, town):
    junior = family.children[0]
    with pytest.raises(ValidationError, match="pas inscrit"):
        model_week_save(guardian=family.parent, child=junior, days={town.garderie_soir.pk: [0]})
    with pytest.raises(PermissionDenied):
        model_week_save(guardian=other_family.parent, child=junior, days={town.repas_maternelle.pk: [0]})
    with pytest.raises(PermissionDenied):
        basket_apply_model_week(guardian=other_family.parent, children=[junior], start=START, end=END, now=EARLY)
    with pytest.raises(ValidationError, match="Aucune semaine type"):
        basket_apply_model_week(guardian=family.parent, children=[junior], start=START, end=END, now=EARLY)

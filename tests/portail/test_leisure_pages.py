"""« Accueil de loisirs » page: the household's windows, a whole period put in the basket, French
errors, and nothing of another household's."""

import pytest
from django.urls import reverse

from core.models import BasketItem
from tests.core.test_leisure import BEFORE, OPEN, enrol, make_alsh

URL = reverse("portail:leisure")


@pytest.fixture
def alsh(town, family):
    alsh = make_alsh(town)
    enrol(town, family.children[0], alsh.morning, alsh.day_with_meal)
    return alsh


def test_before_the_opening_the_page_says_when_it_opens_for_this_family(client, family, alsh, time_machine):
    time_machine.move_to(BEFORE)
    client.force_login(family.user)
    text = client.get(URL).content.decode()
    assert "Ouverture des inscriptions le 04/01/2027 à 18h00" in text
    assert "ouverture prioritaire des familles résidentes" in text
    assert "Ajouter toute la période au panier" not in text


def test_a_whole_holiday_of_one_unit_goes_to_the_basket(client, family, alsh, time_machine):
    time_machine.move_to(OPEN)
    client.force_login(family.user)
    assert "Semaine du 15/02/2027" in client.get(URL).content.decode()
    junior = family.children[0]
    response = client.post(URL, {"window": alsh.window.pk, "unit": alsh.day_with_meal.pk, "children": [junior.pk]})
    assert response.status_code == 302
    assert BasketItem.objects.filter(basket__guardian=family.parent, activity=alsh.day_with_meal).count() == 10


def test_missing_choices_are_refused_in_french(client, family, alsh, time_machine):
    time_machine.move_to(OPEN)
    client.force_login(family.user)
    response = client.post(URL, {"window": alsh.window.pk})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Choisissez au moins un enfant." in text
    assert not BasketItem.objects.exists()


def test_another_households_child_or_window_is_not_found(client, family, other_family, alsh, time_machine):
    time_machine.move_to(OPEN)
    client.force_login(other_family.user)
    response = client.post(URL, {"window": alsh.window.pk, "unit": alsh.morning.pk, "children": [family.children[0].pk]})
    assert response.status_code == 404
    assert not BasketItem.objects.exists()


def test_a_child_of_another_household_is_not_a_choice(client, town, family, other_family, alsh, time_machine):
    time_machine.move_to(OPEN)
    zoe = other_family.children[0]
    enrol(town, zoe, alsh.morning)
    client.force_login(other_family.user)
    response = client.post(URL, {"window": alsh.window.pk, "unit": alsh.morning.pk, "children": [family.children[0].pk]})
    assert response.status_code == 400
    assert "Junior" not in response.content.decode()
    assert not BasketItem.objects.exists()

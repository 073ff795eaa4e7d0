"""Gestion du foyer: the household as the town knows it, a guardian's own contact details."""

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Guardian

CONTACT = {
    "phone_mobile": "0611223344",
    "phone_home": "",
    "phone_work": "+33 3 20 00 00 00",
    "address_line1": "12 rue Neuve",
    "address_line2": "",
    "postal_code": "59270",
    "city": "Valbourg",
}


def test_household_page_shows_the_household_guardians_and_children(client, separated_couple, other_family):
    mother, father = separated_couple.guardians
    client.force_login(mother.user)
    response = client.get(reverse("portail:household"))
    assert response.status_code == 200
    text = response.text
    assert "MARTIN-DUVAL" in text and "Claire" in text and "Thomas" in text and "Tom MARTIN-DUVAL" in text
    assert "parent2b@example.org" in text
    assert "AUTRE" not in text and "Zoé" not in text and "autre@example.org" not in text
    # Only one set of edit buttons: for the logged-in guardian.
    assert text.count(reverse("portail:contact_edit")) == 1


def test_a_guardian_edits_their_own_phones_and_address(client, separated_couple):
    mother, father = separated_couple.guardians
    client.force_login(mother.user)
    response = client.post(reverse("portail:contact_edit"), CONTACT)
    assert response.status_code == 302 and response.url == reverse("portail:household")
    mother.refresh_from_db()
    assert mother.phone_mobile == "06 11 22 33 44" and mother.phone_work == "03 20 00 00 00"
    assert mother.address_line1 == "12 rue Neuve"
    father.refresh_from_db()
    assert father.address_line1 != "12 rue Neuve"


def test_contact_form_cannot_touch_anything_else(client, family, other_family):
    client.force_login(family.user)
    client.post(
        reverse("portail:contact_edit"),
        {**CONTACT, "email": "pirate@example.org", "household": other_family.household.pk, "is_billing_contact": ""},
    )
    parent = Guardian.objects.get(pk=family.parent.pk)
    assert parent.email == "parent@example.org" and parent.household == family.household and parent.is_billing_contact


def test_contact_form_validates_phones_and_postal_code(client, family):
    client.force_login(family.user)
    response = client.post(reverse("portail:contact_edit"), {**CONTACT, "phone_mobile": "12", "postal_code": "ABC"})
    assert response.status_code == 200
    assert "Numéro de téléphone invalide" in response.text and "Code postal invalide" in response.text
    assert Guardian.objects.get(pk=family.parent.pk).phone_mobile != "12"


def test_other_household_ids_in_the_request_change_nothing(client, family, other_family):
    client.force_login(family.user)
    client.post(reverse("portail:contact_edit") + f"?pk={other_family.parent.pk}", {**CONTACT, "pk": other_family.parent.pk})
    other = Guardian.objects.get(pk=other_family.parent.pk)
    assert other.address_line1 != "12 rue Neuve"


@pytest.mark.parametrize("name", ["portail:household", "portail:contact_edit", "portail:reservations", "portail:email_change"])
def test_staff_without_guardian_get_a_friendly_page(client, staff_agent, name):
    client.force_login(staff_agent)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert "Aucun foyer n'est rattaché à votre compte" in response.text
    assert reverse("admin:index") in response.text


def test_contact_form_is_csrf_protected(family):
    client = Client(enforce_csrf_checks=True)
    client.force_login(family.user)
    response = client.post(reverse("portail:contact_edit"), CONTACT)
    assert response.status_code == 403
    assert Guardian.objects.get(pk=family.parent.pk).address_line1 != "12 rue Neuve"

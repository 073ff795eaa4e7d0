import datetime
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import EmailLog, Guardian, Household, Invoice, User
from core.services.rgpd import household_anonymise, household_export, households_anonymise


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0)
    return Household.objects.get(reference="TEST")


def test_export_holds_everything_the_town_knows_of_the_household(demo):
    data = json.loads(json.dumps(household_export(household=demo), default=str))
    assert data["foyer"]["reference"] == "TEST"
    assert data["responsables"][0]["email"] == "parent@example.org"
    assert data["responsables"][0]["compte"]["email"] == "parent@example.org"
    assert [c["first_name"] for c in data["enfants"]] == ["Junior"]
    assert data["enfants"][0]["inscriptions"][0]["prestation"] == "Repas maternelle"
    assert data["reservations"] and data["factures"][0]["total"] == "59.20"


def test_households_gone_for_longer_than_the_retention_are_anonymised_and_keep_their_invoices(demo):
    now = timezone.now()
    Household.objects.filter(pk=demo.pk).update(left_on=timezone.localdate() - datetime.timedelta(days=6 * 366))
    recent = Household.objects.exclude(pk=demo.pk).first()
    Household.objects.filter(pk=recent.pk).update(left_on=timezone.localdate() - datetime.timedelta(days=2 * 365))
    invoice = Invoice.objects.get(household=demo)
    EmailLog.objects.create(kind="test", recipient="parent@example.org", subject="s", body_text="t", household=demo)

    done = households_anonymise(older_than_years=5, now=now)

    assert [h.pk for h in done] == [demo.pk]
    demo.refresh_from_db()
    assert demo.name == "Anonymisé" and demo.address_line1 == "" and demo.anonymised_at == now
    guardian = demo.guardians.get()
    assert (guardian.first_name, guardian.email, guardian.phone_mobile, guardian.user) == ("Anonymisé", None, "", None)
    assert not User.objects.filter(email="parent@example.org").exists()
    child = demo.children.get()
    assert child.first_name == "Anonymisé" and child.birth_date.day == 1 and child.birth_date.month == 1
    assert not Guardian.history.filter(household_id=demo.pk, first_name="Deux").exists()
    assert not Household.history.filter(id=demo.pk, name="TEST").exists()
    assert not EmailLog.objects.filter(household=demo).exists()
    kept = Invoice.objects.get(pk=invoice.pk)
    assert kept.payer_name == invoice.payer_name == "M TEST Deux" and kept.total == invoice.total
    assert kept.lines.count() == invoice.lines.count()
    recent.refresh_from_db()
    assert recent.anonymised_at is None and recent.name != "Anonymisé"
    assert households_anonymise(older_than_years=5) == []  # nothing left to do


def test_staff_download_a_household_export_and_anonymise_from_the_admin(demo, admin_client):
    url = reverse("admin:core_household_export_personal_data", args=[demo.pk])
    response = admin_client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "donnees-foyer-TEST.json" in response["Content-Disposition"]
    assert json.loads(response.content)["foyer"]["reference"] == "TEST"

    other = Household.objects.exclude(pk=demo.pk).first()
    Household.objects.filter(pk=demo.pk).update(left_on=datetime.date(2015, 7, 1))
    response = admin_client.post(
        reverse("admin:core_household_changelist"),
        {"action": "anonymise_selected", "_selected_action": [demo.pk, other.pk]},
        follow=True,
    )
    assert "1 foyer(s) anonymisé(s)" in response.content.decode()
    assert Household.objects.get(pk=demo.pk).anonymised_at and not Household.objects.get(pk=other.pk).anonymised_at


def test_anonymising_twice_changes_nothing(demo):
    first = household_anonymise(household=demo)
    stamp = first.anonymised_at
    assert household_anonymise(household=demo).anonymised_at == stamp

"""Recovery in the admin: reminders sent by hand, their letter, reminders switched off for a
household, the régie's schedule, and the overdue amounts on the dashboard."""

import datetime

import pytest
from django.urls import reverse

from core.models import Household, InvoiceReminder, ReminderStep
from core.services import reminders
from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def invoice(town, family):
    return factories.InvoiceFactory(regie=town.regie, household=family.household, payer_email="parent@example.org")


def test_the_regisseur_sends_a_reminder_with_its_letter(client, regisseur, invoice, django_capture_on_commit_callbacks,
                                                        mailoutbox):
    client.force_login(regisseur)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_invoice_send_reminder", args=[invoice.pk]), {"_form_submitted": "on", "with_letter": "on"}
        )
    assert response.status_code == 302
    reminder = InvoiceReminder.objects.get(invoice=invoice)
    assert reminder.sent_by == regisseur and reminder.with_letter
    assert len(mailoutbox) == 1
    page = client.get(reverse("admin:core_invoice_change", args=[invoice.pk]))
    assert "Relance manuelle (lettre de relance)" in page.content.decode()
    letter = client.get(reverse("admin:core_invoice_reminder_letter", args=[reminder.pk]))
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"


def test_the_list_action_reports_invoices_not_reminded(client, regisseur, invoice, django_capture_on_commit_callbacks):
    factories.InvoiceFactory(regie=invoice.regie, household=invoice.household,
                             run=factories.InvoiceRunFactory(regie=invoice.regie, month=datetime.date(2026, 11, 1)),
                             status="paid")
    client.force_login(regisseur)
    ids = list(invoice.household.invoices.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_invoice_changelist"), {"action": "send_reminders", "_selected_action": ids}, follow=True
        )
    text = response.content.decode()
    assert "Relance envoyée : 1 facture." in text and "pas de relance" in text
    assert InvoiceReminder.objects.count() == 1


def test_a_gestionnaire_cannot_send_reminders(client, gestionnaire, invoice):
    client.force_login(gestionnaire)
    response = client.post(reverse("admin:core_invoice_send_reminder", args=[invoice.pk]), {"_form_submitted": "on"})
    assert response.status_code == 403
    assert not InvoiceReminder.objects.exists()


def test_the_regisseur_switches_reminders_off_for_a_household(client, regisseur, family):
    client.force_login(regisseur)
    url = reverse("admin:core_household_toggle_reminders", args=[family.household.pk])
    assert client.get(url).status_code == 200  # the confirmation dialog changes nothing
    assert not Household.objects.get(pk=family.household.pk).reminders_disabled
    client.post(url, {"_form_submitted": "on"})
    assert Household.objects.get(pk=family.household.pk).reminders_disabled
    history = Household.history.filter(id=family.household.pk).latest("history_date")
    assert history.reminders_disabled and history.history_user == regisseur
    client.post(url, {"_form_submitted": "on"})
    assert not Household.objects.get(pk=family.household.pk).reminders_disabled


def test_a_gestionnaire_cannot_switch_reminders(client, gestionnaire, family):
    client.force_login(gestionnaire)
    response = client.post(
        reverse("admin:core_household_toggle_reminders", args=[family.household.pk]), {"_form_submitted": "on"}
    )
    assert response.status_code == 403
    assert not Household.objects.get(pk=family.household.pk).reminders_disabled


def test_the_regie_page_shows_its_schedule(client, administrateur, town):
    reminders.reminder_steps_default(regie=town.regie)
    client.force_login(administrateur)
    page = client.get(reverse("admin:core_regie_change", args=[town.regie.pk])).content.decode()
    assert "calendrier des relances" in page.lower()
    assert ReminderStep.objects.filter(regie=town.regie).count() == 3


def test_the_dashboard_shows_overdue_amounts_by_age(client, regisseur, town, family):
    factories.InvoiceFactory(regie=town.regie, household=family.household, due_date=datetime.date(2000, 1, 1))
    client.force_login(regisseur)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="overdue-ages"' in page and "plus de 60 jours" in page and "59,20" in page


def test_the_regisseur_emails_last_years_tax_certificates(client, regisseur, town, family,
                                                          django_capture_on_commit_callbacks, mailoutbox):
    import time_machine

    from tests.core.test_certificates import DAYS, invoice_with, pay

    junior = family.children[0]
    junior.birth_date = datetime.date(2022, 1, 1)
    junior.save()
    pay(invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "10.00")]), "10.00",
        datetime.date(2026, 6, 1))
    with time_machine.travel(datetime.datetime(2027, 1, 20, 10, tzinfo=datetime.UTC), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        client.force_login(regisseur)  # a session of that day
        response = client.post(
            reverse("admin:core_household_changelist"),
            {"action": "send_tax_certificates", "_selected_action": [family.household.pk]}, follow=True,
        )
    assert "Attestation fiscale 2026 envoyée à 1 foyer(s)." in response.text
    assert [m.attachments[0][0] for m in mailoutbox] == ["attestation-fiscale-2026.pdf"]


def test_a_gestionnaire_cannot_send_tax_certificates(client, gestionnaire, family, mailoutbox):
    client.force_login(gestionnaire)
    client.post(reverse("admin:core_household_changelist"),
                {"action": "send_tax_certificates", "_selected_action": [family.household.pk]})
    assert mailoutbox == []


def test_the_regie_form_saves_its_reminder_schedule(client, administrateur, town):
    """The régie's page is a writable admin form: its schedule inline saves what staff type."""
    client.force_login(administrateur)
    url = reverse("admin:core_regie_change", args=[town.regie.pk])
    data = {
        "name": town.regie.name, "address": "", "payfip_numcli": "", "invoice_prefix": town.regie.invoice_prefix,
        "public_accountant": "SGC de Valbourg",
        "sepa_notice_days": "14", "sepa_debit_day": "10", "sepa_reject_fee": "0", "sepa_max_rejects": "2",
        "reminder_steps-TOTAL_FORMS": "2", "reminder_steps-INITIAL_FORMS": "0",
        "reminder_steps-MIN_NUM_FORMS": "0", "reminder_steps-MAX_NUM_FORMS": "1000",
        "reminder_steps-0-offset_days": "-3", "reminder_steps-0-is_active": "on",
        "reminder_steps-1-offset_days": "15", "reminder_steps-1-with_letter": "on", "reminder_steps-1-is_active": "on",
        "_save": "Enregistrer",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    steps = list(ReminderStep.objects.filter(regie=town.regie).values_list("offset_days", "with_letter"))
    assert steps == [(-3, False), (15, True)]
    town.regie.refresh_from_db()
    assert town.regie.public_accountant == "SGC de Valbourg"
    data["reminder_steps-1-offset_days"] = "-3"  # the same day twice is refused
    data["reminder_steps-TOTAL_FORMS"] = "2"
    response = client.post(url, {**data, "reminder_steps-INITIAL_FORMS": "0"})
    assert response.status_code == 200

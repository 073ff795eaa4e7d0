"""Invoices and payments in the staff workspace: dashboard figures, exports, resend, roles."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from admin_ext.dashboard import billing_figures
from core.models import EmailLog, Invoice, InvoiceRun, Payment
from core.services import payments
from tests import factories

TODAY = datetime.date(2027, 2, 10)
NOW = datetime.datetime(2027, 2, 10, 9, 0, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def ledger(town, family, other_family, separated_couple, regisseur):
    """Three open invoices (one partly paid, one overdue with a credit note), one paid, a run in draft."""
    regie = town.regie
    overdue = factories.InvoiceFactory(regie=regie, household=family.household, total=Decimal("59.20"),
                                       due_date=datetime.date(2027, 2, 4), payer_email="parent@example.org")
    _credit(overdue, Decimal("9.20"))
    partly = factories.InvoiceFactory(regie=regie, household=other_family.household, total=Decimal("40.00"),
                                      due_date=datetime.date(2027, 3, 4))
    payments.payment_record_manual(household=other_family.household, method=Payment.Method.CHEQUE, amount=Decimal("15.00"),
                                   invoice_ids=[partly.pk], received_on=TODAY, reference="CHQ 1", by=regisseur, now=NOW)
    factories.InvoiceFactory(regie=regie, household=separated_couple.household, total=Decimal("12.00"),
                             due_date=datetime.date(2027, 3, 4))
    november = factories.InvoiceRunFactory(regie=regie, month=datetime.date(2026, 11, 1))
    paid = factories.InvoiceFactory(regie=regie, run=november, household=separated_couple.household, total=Decimal("7.40"),
                                    due_date=datetime.date(2027, 1, 4))
    payments.payment_record_manual(household=separated_couple.household, method=Payment.Method.CASH, amount=Decimal("7.40"),
                                   invoice_ids=[paid.pk], received_on=TODAY, by=regisseur, now=NOW)
    factories.PaymentFactory(household=family.household, regie=regie, amount=Decimal("50.00"))
    factories.InvoiceRunFactory(regie=regie, month=datetime.date(2027, 1, 1), status=InvoiceRun.Status.DRAFT)
    return {"overdue": overdue, "partly": partly, "paid": paid}


def _credit(invoice, amount):
    from core.models import CreditNote

    return CreditNote.objects.create(regie=invoice.regie, invoice=invoice, number=f"AV{invoice.pk}", sequence=invoice.pk,
                                     reason="Grève", amount=amount, issue_date=TODAY)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    user.get_all_permissions()  # the permission cache is warm on a real page
    return request


def test_billing_figures_for_a_regisseur_in_a_few_queries(ledger, regisseur, django_assert_num_queries):
    request = _request(regisseur)
    # invoices, payment totals, latest payments, runs; direct debit: mandates, next debit, rejects
    with django_assert_num_queries(7):
        billing = billing_figures(request, now=NOW)
    cards = {card["id"]: card for card in billing["cards"]}
    # 50,00 (59,20 less the 9,20 credit note) + 25,00 (40 less 15 paid) + 12,00; the paid invoice is not open.
    assert cards["unpaid"]["value"] == "87,00 €" and cards["unpaid"]["note"] == "3 factures ouvertes"
    assert cards["overdue"]["value"] == 1 and cards["overdue"]["note"].startswith("50,00 €")
    assert cards["recent-payments"]["value"] == "22,40 €" and cards["recent-payments"]["note"] == "2 paiements"
    assert cards["in-flight"]["value"] == 1
    assert [run["status"] for run in billing["runs"]] == ["Brouillon"]
    assert len(billing["latest_payments"]) == 2


def test_a_gestionnaire_sees_no_billing_figures(ledger, gestionnaire, client):
    assert billing_figures(_request(gestionnaire), now=NOW) is None
    client.force_login(gestionnaire)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="billing"' not in page and reverse("admin:core_payment_changelist") not in page


def test_the_dashboard_links_to_the_filtered_lists(ledger, regisseur, client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    client.force_login(regisseur)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="billing-unpaid"' in page and "Campagnes de facturation en cours" in page
    invoices = client.get(reverse("admin:core_invoice_changelist"), {"a_encaisser": "echues"}).content.decode()
    assert ledger["overdue"].number in invoices and ledger["partly"].number not in invoices
    in_flight = client.get(reverse("admin:core_payment_changelist"), {"a_traiter": "en_cours"})
    assert in_flight.status_code == 200


@pytest.mark.parametrize("url_name", ["admin:core_invoice_changelist", "admin:core_invoicerun_changelist",
                                      "admin:core_payment_changelist", "admin:core_invoice_export",
                                      "admin:core_payment_export"])
def test_billing_pages_open_for_regisseur_and_administrateur_only(client, town, url_name, regisseur, gestionnaire,
                                                                  administrateur):
    for user, expected in ((regisseur, 200), (administrateur, 200), (gestionnaire, 403)):
        client.force_login(user)
        assert client.get(reverse(url_name)).status_code == expected, (url_name, user.email)


def test_a_gestionnaire_cannot_issue_invoices(client, town, gestionnaire):
    run = factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2027, 1, 1), status=InvoiceRun.Status.DRAFT)
    client.force_login(gestionnaire)
    url = reverse("admin:core_invoicerun_issue_run", args=[run.pk])
    assert client.post(url, {}).status_code == 403
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.DRAFT


def test_invoices_and_payments_export_as_csv(ledger, regisseur, client):
    client.force_login(regisseur)
    response = client.post(reverse("admin:core_invoice_export"), {"format": "1", "resource": "0"})
    text = response.content.decode("utf-8-sig")
    header, *rows = text.splitlines()
    assert header.startswith("numero,foyer,redevable") and header.endswith("total,dont_frais_rejet,paye,avoirs,reste_du,etat")
    overdue = next(row for row in rows if row.startswith(ledger["overdue"].number))
    assert overdue.endswith(",59.20,0.00,0.00,9.20,50.00,À payer")
    response = client.post(reverse("admin:core_payment_export"), {"format": "1", "resource": "0"})
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("date,foyer,nom,regie,moyen,etat,montant,factures")
    assert ledger["partly"].number in text and "Chèque" in text


def test_resending_invoice_emails_logs_a_new_email_each_time(ledger, regisseur, client, django_capture_on_commit_callbacks):
    invoice = ledger["overdue"]
    client.force_login(regisseur)
    url = reverse("admin:core_invoice_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "resend_emails", "_selected_action": [invoice.pk, ledger["partly"].pk]},
                               follow=True)
    notes = [str(m) for m in response.context["messages"]]
    # The other invoice has no email address: it is reported, not sent.
    assert notes == ["Email de facture renvoyé : 1 facture.",
                     f"Facture n° {ledger['partly'].number} : le redevable n'a pas d'adresse email."]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:core_invoice_resend_email", args=[invoice.pk]), {"_form_submitted": "on"})
    logs = EmailLog.objects.filter(kind="invoice_available", recipient="parent@example.org")
    assert logs.count() == 2
    assert len(mail.outbox) == 2 and mail.outbox[0].attachments
    assert Invoice.objects.get(pk=invoice.pk).emailed_at is not None


def test_a_gestionnaire_cannot_resend_invoice_emails(ledger, gestionnaire, client):
    client.force_login(gestionnaire)
    url = reverse("admin:core_invoice_resend_email", args=[ledger["overdue"].pk])
    response = client.post(url, {"_form_submitted": "on"})
    assert response.status_code == 403 and not EmailLog.objects.exists()


def test_the_activation_and_booking_override_actions_exist(client, administrateur):
    from django.contrib import admin

    from core.models import Booking, Guardian

    guardian_admin, booking_admin = admin.site._registry[Guardian], admin.site._registry[Booking]
    assert any("activation" in name for name in guardian_admin.actions)
    assert "cancel_as_override" in booking_admin.actions and "open_override" in booking_admin.actions_list

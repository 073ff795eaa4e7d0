"""Factures et paiements: Factures en cours, the basket, Payer, the return page, the archive and PDFs."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Invoice, Payment
from core.services import payments
from tests import factories


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def invoice(family, town):
    invoice = factories.InvoiceFactory(
        regie=town.regie, household=family.household, total=Decimal("59.20"),
        due_date=timezone.localdate() + datetime.timedelta(days=1), payer_name="M TEST Deux",
        period_start=datetime.date(2026, 12, 1), period_end=datetime.date(2026, 12, 31),
    )
    return factories.attach_pdf(invoice, b"%PDF-1.4 facture TEST")


@pytest.fixture
def others_invoice(other_family, town):
    return factories.InvoiceFactory(regie=town.regie, household=other_family.household, total=Decimal("12.00"))


@pytest.fixture
def parent_client(client, family):
    client.force_login(family.user)
    return client


def select(client, invoice, action="ajouter"):
    return client.post(reverse("portail:invoice_basket_change"), {"invoice": invoice.pk, "action": action})


def test_factures_en_cours_lists_the_households_due_invoices(parent_client, invoice, others_invoice):
    text = parent_client.get(reverse("portail:invoices")).text
    for expected in (f"N° {invoice.number}", "Facture du 01/12/2026 pour M TEST Deux", "59,20 €",
                     "du 01/12/2026 au 31/12/2026", f"{invoice.due_date:%d/%m/%Y}", "1 JOUR AVANT ÉCHÉANCE",
                     "Sélectionner", "Télécharger", "Factures archivées", "Aucune facture sélectionnée"):
        assert expected in text, expected
    assert others_invoice.number not in text
    assert 'aria-current="page">Factures et paiements<' in text


def test_the_basket_shows_the_total_the_numbers_payer_and_vider(parent_client, invoice):
    response = select(parent_client, invoice)
    # Back on the selection button itself, which the fragment focuses.
    assert response.status_code == 302 and response.url == reverse("portail:invoices") + f"#selection-facture-{invoice.pk}"
    text = parent_client.get(reverse("portail:invoices")).text
    assert "Total à payer : <strong>59,20 €</strong>" in text
    assert f"Facture n° {invoice.number}" in text and ">Payer</button>" in text and "Vider le panier" in text
    # The toggle keeps its name; only aria-pressed says it is selected (RGAA 7.1).
    button = re.search(rf'<button [^>]*id="selection-facture-{invoice.pk}"[^>]*>(.*?)</button>', text)
    assert 'aria-pressed="true"' in button.group(0)
    assert button.group(1) == f'Sélectionner<span class="visually-hidden"> la facture n° {invoice.number}</span>'
    assert "Dans le panier" in text

    parent_client.post(reverse("portail:invoice_basket_change"), {"action": "vider"})
    assert "Aucune facture sélectionnée" in parent_client.get(reverse("portail:invoices")).text


def test_the_list_costs_a_fixed_number_of_queries(parent_client, invoice, family, town, django_assert_max_num_queries):
    for month in (1, 2, 3):
        run = factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2027, month, 1))
        factories.InvoiceFactory(regie=town.regie, household=family.household, run=run)
    with django_assert_max_num_queries(12):
        assert parent_client.get(reverse("portail:invoices")).status_code == 200


def test_another_households_invoice_cannot_be_selected_downloaded_or_paid(parent_client, others_invoice, live_server, settings):
    settings.SITE_URL = live_server.url
    assert select(parent_client, others_invoice).status_code == 404
    assert parent_client.get(reverse("portail:invoice_pdf", args=[others_invoice.pk])).status_code == 404
    session = parent_client.session
    session["invoice_basket"] = [others_invoice.pk]  # forged
    session.save()
    assert parent_client.post(reverse("portail:pay")).status_code == 404
    assert not Payment.objects.exists()


def test_the_pdf_is_downloaded_only_by_its_household(parent_client, invoice, client, other_family):
    response = parent_client.get(reverse("portail:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 facture TEST"
    assert f'filename="facture-{invoice.number}.pdf"' in response["Content-Disposition"]
    client.force_login(other_family.user)
    assert client.get(reverse("portail:invoice_pdf", args=[invoice.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_payer_sends_the_browser_to_payfip_and_holds_the_invoice(parent_client, invoice, live_server, settings):
    settings.SITE_URL = live_server.url
    select(parent_client, invoice)
    response = parent_client.post(reverse("portail:pay"))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == f"{live_server.url}/simulateur-payfip/paiement?idop={payment.idop}"
    text = parent_client.get(reverse("portail:invoices")).text
    assert "PAIEMENT EN COURS" in text.upper() and "ne peut pas être sélectionnée" in text
    assert "Sélectionner<" not in text and "Aucune facture sélectionnée" in text
    assert select(parent_client, invoice).status_code == 302
    assert "ne peut pas être sélectionnée pour le moment" in parent_client.get(reverse("portail:invoices")).text


def test_payfip_unreachable_shows_a_clear_message_and_keeps_the_invoice_payable(parent_client, invoice, settings):
    settings.SITE_URL = "http://127.0.0.1:9"
    settings.PAYFIP_TIMEOUT = 2
    select(parent_client, invoice)
    response = parent_client.post(reverse("portail:pay"), follow=True)
    assert "Le paiement en ligne est momentanément indisponible" in response.text
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.UNPAID
    assert "Dans le panier" in response.text and ">Payer</button>" in response.text  # the basket waits for a retry


def _paid(invoice, guardian):
    payment = Payment.objects.create(
        household=invoice.household, regie=invoice.regie, guardian=guardian, payer_email=guardian.email,
        method="online", status="paid", amount=invoice.total, refdet=invoice.number, idop="op-1", numauto="123456",
        created_at=timezone.now(), transaction_at=timezone.now(),
    )
    payment.allocations.create(invoice=invoice, amount=invoice.total)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    return payment


def test_the_return_page_shows_the_outcome_to_its_household_only(parent_client, invoice, family, client, other_family):
    payment = _paid(invoice, family.parent)
    text = parent_client.get(reverse("portail:payment_return", args=[payment.uuid])).text
    assert "Paiement accepté" in text and "59,20 €" in text and invoice.number in text and "123456" in text
    client.force_login(other_family.user)
    assert client.get(reverse("portail:payment_return", args=[payment.uuid])).status_code == 404


def test_paid_invoices_move_to_factures_archivees(parent_client, invoice, family):
    _paid(invoice, family.parent)
    assert invoice.number not in parent_client.get(reverse("portail:invoices")).text
    text = parent_client.get(reverse("portail:archived_invoices")).text
    assert f"N° {invoice.number}" in text and "PAYÉE" in text and "Télécharger" in text


def test_a_partly_paid_invoice_shows_what_is_left(parent_client, invoice):
    payments.payment_record_manual(household=invoice.household, method="cheque", amount="20", invoice_ids=[invoice.pk],
                                   received_on=None)
    text = parent_client.get(reverse("portail:invoices")).text
    assert "Reste à payer" in text and "39,20 €" in text
    select(parent_client, invoice)
    assert "Total à payer : <strong>39,20 €</strong>" in parent_client.get(reverse("portail:invoices")).text


def test_the_pages_need_a_login(client, invoice):
    for url in (reverse("portail:invoices"), reverse("portail:archived_invoices")):
        response = client.get(url)
        assert response.status_code == 302 and "connexion" in response.url


def test_the_basket_may_lead_to_payfips_page_under_the_strict_policy(parent_client, invoice, settings):
    csp = parent_client.get(reverse("portail:invoices"))["Content-Security-Policy"]
    assert "form-action 'self'" in csp and "payfip" not in csp and "unsafe-inline" not in csp
    settings.PAYMENT_BACKEND = "payfip"
    csp = parent_client.get(reverse("portail:invoices"))["Content-Security-Policy"]
    assert "form-action 'self' https://www.payfip.gouv.fr" in csp and "script-src 'self'" in csp


@pytest.mark.django_db(transaction=True)
def test_coming_back_from_a_payment_concluded_after_it_expired_shows_it_paid(parent_client, invoice, live_server,
                                                                            settings):
    settings.SITE_URL = live_server.url
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "drop"
    select(parent_client, invoice)
    parent_client.post(reverse("portail:pay"))
    payment = Payment.objects.get()
    payments.payments_reconcile(now=payment.created_at + datetime.timedelta(minutes=21))
    assert Payment.objects.get().status == Payment.Status.EXPIRED
    from core.payfip_simulator import simulator

    simulator.operation_conclude(idop=payment.idop, resultrans="P", notification="drop")  # the payer finishes late

    text = parent_client.get(reverse("portail:payment_return", args=[payment.uuid])).text
    assert "Paiement accepté" in text
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID

"""The payments admin: manual payment entry, the list with its to-review filters, read-only detail."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import Invoice, Payment
from core.services import payments
from tests import factories


@pytest.fixture
def staff_client(client, staff_agent):
    client.force_login(staff_agent)
    return client


@pytest.fixture
def invoices(db):
    regie = factories.RegieFactory(invoice_prefix="RS")
    household = factories.HouseholdFactory(reference="TEST", name="TEST")
    first = factories.InvoiceFactory(regie=regie, household=household, total=Decimal("59.20"))
    second = factories.InvoiceFactory(
        regie=regie, household=household, total=Decimal("12.00"), due_date=datetime.date(2027, 3, 4),
        run=factories.InvoiceRunFactory(regie=regie, month=datetime.date(2027, 1, 1)),
    )
    return first, second


def add(staff_client, **data):
    form = {"invoice_numbers": "", "method": "cheque", "amount": "", "received_on": "12/01/2027", "reference": ""}
    return staff_client.post(reverse("admin:core_payment_add"), {**form, **data})


def test_staff_record_a_cheque_allocated_to_two_invoices(staff_client, invoices, staff_agent):
    first, second = invoices
    response = add(staff_client, invoice_numbers=f"{second.number}, {first.number}", amount="65,20",
                   reference="Chèque n° 7654321")
    assert response.status_code == 302, response.content.decode()[:3000]
    payment = Payment.objects.get()
    assert (payment.method, payment.status, payment.amount) == ("cheque", "paid", Decimal("65.20"))
    assert payment.recorded_by == staff_agent and payment.received_on == datetime.date(2027, 1, 12)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == Invoice.Status.PAID and second.balance == Decimal("6.00")
    page = staff_client.get(reverse("admin:core_payment_change", args=[payment.pk])).content.decode()
    for text in ("Chèque", "65,20 €", first.number, second.number, "Historique", "Chèque de 65.20 € saisi"):
        assert text in page


@pytest.mark.parametrize(
    "data, error",
    [
        ({"invoice_numbers": "RS202799999", "amount": "10"}, "Facture(s) introuvable(s) : RS202799999"),
        ({"amount": "100"}, "dépasse le reste dû"),
    ],
)
def test_a_wrong_manual_payment_is_refused_with_a_message(staff_client, invoices, data, error):
    data.setdefault("invoice_numbers", invoices[0].number)
    response = add(staff_client, **data)
    assert response.status_code == 200 and error in response.content.decode()
    assert not Payment.objects.exists()


def test_invoices_of_two_households_make_two_payments(staff_client, invoices):
    other = factories.InvoiceFactory(regie=invoices[0].regie, household=factories.HouseholdFactory())
    response = add(staff_client, invoice_numbers=f"{invoices[0].number} {other.number}", amount="10")
    assert "un seul foyer" in response.content.decode() and not Payment.objects.exists()


def test_the_list_shows_payments_and_filters_anomalies(staff_client, invoices):
    first, second = invoices
    manual = payments.payment_record_manual(household=first.household, method="cash", amount="5",
                                            invoice_ids=[first.pk], received_on=None)
    anomaly = Payment.objects.create(
        household=first.household, regie=first.regie, method="online", status="mismatch", amount=Decimal("12.00"),
        refdet=second.number, idop="abc", created_at=manual.created_at, mismatch="Paiement PayFiP non conforme",
    )
    url = reverse("admin:core_payment_changelist")
    page = staff_client.get(url).content.decode()
    assert "Espèces" in page and "Anomalie à vérifier" in page
    page = staff_client.get(url + "?a_traiter=anomalies").content.decode()
    assert f"/admin/core/payment/{anomaly.pk}/change/" in page
    assert f"/admin/core/payment/{manual.pk}/change/" not in page

    detail = staff_client.get(reverse("admin:core_payment_change", args=[anomaly.pk])).content.decode()
    assert "Paiement PayFiP non conforme" in detail and "Anomalie vérifiée" in detail
    response = staff_client.post(reverse("admin:core_payment_review_mismatch", args=[anomaly.pk]), {"_form_submitted": "on"})
    assert response.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.mismatch_reviewed_at is not None and anomaly.status == "mismatch"


def test_payments_are_never_edited_or_deleted(staff_client, invoices):
    payment = payments.payment_record_manual(household=invoices[0].household, method="cash", amount="5",
                                             invoice_ids=[invoices[0].pk], received_on=None)
    page = staff_client.get(reverse("admin:core_payment_change", args=[payment.pk])).content.decode()
    assert 'name="_save"' not in page
    assert staff_client.post(reverse("admin:core_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    assert Payment.objects.count() == 1


def test_the_sidebar_lists_payments_under_facturation(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert "Paiements en cours" in page and "Anomalies de paiement" in page


@pytest.mark.django_db(transaction=True)
def test_staff_ask_payfip_about_an_attempt_in_flight(client, staff_agent, invoices, live_server, settings):
    settings.SITE_URL = live_server.url
    parent = factories.ParentFactory(household=invoices[0].household, email="parent@example.org")
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoices[0].pk])
    client.force_login(staff_agent)
    page = client.get(reverse("admin:core_payment_changelist") + "?a_traiter=en_cours").content.decode()
    assert f"/admin/core/payment/{payment.pk}/change/" in page
    response = client.get(reverse("admin:core_payment_check_with_payfip", args=[payment.pk]), follow=True)
    assert "État du paiement : en cours." in response.content.decode()
    payment.refresh_from_db()
    assert payment.check_count == 1 and payment.events.filter(kind="pending").exists()


def test_staff_find_the_payments_to_refund_and_mark_them_refunded(staff_client, invoices, staff_agent):
    first, _second = invoices
    overpaid = Payment.objects.create(
        household=first.household, regie=first.regie, method="online", status="mismatch", amount=Decimal("59.20"),
        refdet=first.number, idop="abc", created_at=datetime.datetime(2027, 1, 12, 9, tzinfo=datetime.UTC),
        mismatch="la facture est déjà réglée", refund_due=True,
    )
    other = Payment.objects.create(
        household=first.household, regie=first.regie, method="online", status="mismatch", amount=Decimal("12.00"),
        refdet=first.number, idop="def", created_at=overpaid.created_at, mismatch="montant",
    )
    url = reverse("admin:core_payment_changelist")
    page = staff_client.get(url + "?a_traiter=a_rembourser").content.decode()
    assert f"/admin/core/payment/{overpaid.pk}/change/" in page
    assert f"/admin/core/payment/{other.pk}/change/" not in page

    detail = staff_client.get(reverse("admin:core_payment_change", args=[overpaid.pk])).content.decode()
    assert "À rembourser" in detail and "Marquer comme remboursé" in detail
    assert "Marquer comme remboursé" not in staff_client.get(
        reverse("admin:core_payment_change", args=[other.pk])).content.decode()
    response = staff_client.post(reverse("admin:core_payment_record_refund", args=[overpaid.pk]), {"_form_submitted": "on"})
    assert response.status_code == 302
    overpaid.refresh_from_db()
    assert overpaid.refunded_at is not None and overpaid.refunded_by == staff_agent
    assert f"/admin/core/payment/{overpaid.pk}/change/" not in staff_client.get(url + "?a_traiter=a_rembourser").content.decode()
    detail = staff_client.get(reverse("admin:core_payment_change", args=[overpaid.pk])).content.decode()
    assert "Remboursé" in detail and "Marquer comme remboursé" not in detail

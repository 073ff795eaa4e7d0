"""The API's money part: household, invoices (filters, lines, PDF), online payment start and
status through the same service as the page (end to end on the PayFiP simulator), certificates."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from core.models import Invoice, Payment
from core.services.handover import handover_create
from tests import factories
from tests.core.test_payments import pay as choose_on_simulator


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api(client, family):
    client.force_login(family.user)
    return client


def make_invoice(town, household, month, **extra):
    run = factories.InvoiceRunFactory(regie=town.regie, month=month)
    invoice = factories.InvoiceFactory(regie=town.regie, household=household, run=run, **extra)
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(b"%PDF-1.4 facture"), save=False)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def invoices(town, family):
    open_invoice = make_invoice(town, family.household, datetime.date(2026, 12, 1))
    paid = make_invoice(town, family.household, datetime.date(2026, 11, 1), status=Invoice.Status.PAID)
    return open_invoice, paid


def post(client, name, data, **kwargs):
    return client.post(reverse(name, kwargs=kwargs or None), data, content_type="application/json")


def test_household(api, family):
    data = api.get(reverse("api:household")).json()
    assert data["reference"] == "TEST"
    assert [c["first_name"] for c in data["children"]] == ["Junior", "Lise"]
    assert data["guardians"][0]["email"] == "parent@example.org"


def test_invoice_list_filters_open_and_archived(api, invoices):
    open_invoice, paid = invoices
    assert [i["number"] for i in api.get(reverse("api:invoices")).json()] == [open_invoice.number]
    archived = api.get(reverse("api:invoices"), {"state": "archived"}).json()
    assert [i["number"] for i in archived] == [paid.number]
    assert len(api.get(reverse("api:invoices"), {"state": "all"}).json()) == 2
    assert api.get(reverse("api:invoices"), {"state": "pirate"}).status_code == 400
    first = api.get(reverse("api:invoices")).json()[0]
    assert (first["balance"], first["is_payable"], first["status_label"]) == ("59.20", True, "À payer")


def test_invoice_detail_and_pdf(api, invoices, family, town):
    open_invoice, _ = invoices
    Invoice.objects.filter(pk=open_invoice.pk).update(number="", status=Invoice.Status.DRAFT)
    from core.models import InvoiceLine

    InvoiceLine.objects.create(invoice=Invoice.objects.get(pk=open_invoice.pk), child=family.children[0],
                               activity=town.repas_maternelle, label="Repas", dates=["2026-12-07"], quantity=1,
                               unit_price=Decimal("3.70"), amount=Decimal("3.70"))
    Invoice.objects.filter(pk=open_invoice.pk).update(number=open_invoice.number, status=Invoice.Status.UNPAID)
    detail = api.get(reverse("api:invoice", kwargs={"invoice_id": open_invoice.pk})).json()
    assert detail["lines"] == [{
        "kind": "activity", "label": "Repas", "child": "Junior TEST", "activity": "Repas maternelle", "is_unbooked": False,
        "dates": ["2026-12-07"], "quantity": 1, "unit_price": "3.70", "amount": "3.70",
    }]
    pdf = api.get(reverse("api:invoice-pdf", kwargs={"invoice_id": open_invoice.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    accept_pdf = api.get(reverse("api:invoice-pdf", kwargs={"invoice_id": open_invoice.pk}), HTTP_ACCEPT="application/pdf")
    assert accept_pdf.status_code == 200


def test_another_households_invoice_is_a_404(api, other_family, town):
    theirs = make_invoice(town, other_family.household, datetime.date(2026, 12, 1))
    for name in ("api:invoice", "api:invoice-pdf"):
        assert api.get(reverse(name, kwargs={"invoice_id": theirs.pk})).status_code == 404
    response = post(api, "api:payments", {"invoice_ids": [theirs.pk]})
    assert response.status_code == 404 and not Payment.objects.exists()


def test_payment_start_applies_the_pages_rules(api, invoices):
    _, paid = invoices
    response = post(api, "api:payments", {"invoice_ids": [paid.pk]})
    assert response.status_code == 400 and "n'est plus à payer" in response.json()["detail"]
    assert post(api, "api:payments", {"invoice_ids": []}).status_code == 400
    assert post(api, "api:payments", {"invoice_ids": ["x"]}).status_code == 400


def test_a_handed_over_invoice_says_where_to_pay(api, invoices, regisseur, town):
    open_invoice, _ = invoices
    town.regie.public_accountant = "SGC de Valbourg"
    town.regie.save()
    Invoice.objects.filter(pk=open_invoice.pk).update(due_date=datetime.date(2000, 1, 1))
    handover_create(invoice_ids=[open_invoice.pk], by=regisseur)
    (listed,) = api.get(reverse("api:invoices")).json()
    assert (listed["is_payable"], listed["is_with_public_accountant"], listed["public_accountant"]) == (
        False, True, "SGC de Valbourg"
    )
    assert post(api, "api:payments", {"invoice_ids": [open_invoice.pk]}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_api_pays_an_invoice_end_to_end_on_the_simulator(client, family, town, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_BACKEND = "simulator"
    settings.PAYFIP_SAISIE = "X"
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "deliver"
    town.regie.payfip_numcli = "012345"
    town.regie.save()
    invoice = make_invoice(town, family.household, datetime.date(2026, 12, 1))
    client.force_login(family.user)
    started = post(client, "api:payments", {"invoice_ids": [invoice.pk]})
    assert started.status_code == 201, started.content
    body = started.json()
    payment = Payment.objects.get(uuid=body["uuid"])
    assert body["payment_url"] == f"{live_server.url}/simulateur-payfip/paiement?idop={payment.idop}"
    assert (body["status"], body["amount"], body["invoices"]) == ("initiated", "59.20", [invoice.number])
    # The same lock as the page: a second start is refused while the attempt is in flight.
    again = post(client, "api:payments", {"invoice_ids": [invoice.pk]})
    assert again.status_code == 400 and "paiement en cours" in again.json()["detail"]
    choose_on_simulator(live_server, payment, notification="drop")  # the API's status call asks PayFiP itself
    status = client.get(reverse("api:payment", kwargs={"payment_uuid": payment.uuid})).json()
    assert status["status"] == "paid"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_payment_status_of_another_household_is_a_404(client, other_family, family, town):
    payment = factories.PaymentFactory(household=family.household, regie=town.regie, status=Payment.Status.PAID)
    client.force_login(other_family.user)
    assert client.get(reverse("api:payment", kwargs={"payment_uuid": payment.uuid})).status_code == 404


def test_certificates(api, family, time_machine_january):
    years = api.get(reverse("api:tax-certificates")).json()
    assert [y["year"] for y in years] == [2026, 2025, 2024] and years[0]["total"] == "0.00"
    pdf = api.get(reverse("api:tax-certificate", kwargs={"year": 2026}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api.get(reverse("api:tax-certificate", kwargs={"year": 2027})).status_code == 404
    attestation = api.get(reverse("api:attestation"), {"kind": "paiements", "start": "2026-01-01", "end": "2026-12-31"})
    assert attestation.status_code == 200 and attestation.content.startswith(b"%PDF")
    refused = api.get(reverse("api:attestation"), {"kind": "paiements", "start": "2026-02-01", "end": "2026-01-01"})
    assert refused.status_code == 400 and "fin doit suivre" in refused.json()["detail"]
    assert api.get(reverse("api:attestation"), {"kind": "pirate"}).status_code == 400


@pytest.fixture
def time_machine_january(client, family):
    import time_machine

    with time_machine.travel(datetime.datetime(2027, 1, 20, 10, tzinfo=datetime.UTC), tick=False):
        client.force_login(family.user)
        yield

"""The invoicing admin: create a run, review it, issue it; issued documents stay read-only."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import CreditNote, Invoice, InvoiceRun
from core.services import invoicing
from tests import factories

DECEMBER_DAYS = [datetime.date(2026, 12, d) for d in (7, 8, 10, 11)]
ISSUE_NOW = datetime.datetime(2027, 1, 5, 9, 30, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def december(family, town):
    factories.flat_tariff(town.repas_maternelle)
    factories.book(family.children[0], town.repas_maternelle, DECEMBER_DAYS)
    return family


@pytest.fixture
def staff_client(client, staff_agent):
    client.force_login(staff_agent)
    return client


def create_run(staff_client, town, captured):
    with captured(execute=True):
        response = staff_client.post(
            reverse("admin:core_invoicerun_add"), {"regie": town.regie.pk, "month": "15/12/2026", "due_date": ""}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return InvoiceRun.objects.get()


def test_staff_create_a_run_and_review_its_draft(staff_client, december, town, django_capture_on_commit_callbacks):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    assert run.month == datetime.date(2026, 12, 1) and run.status == InvoiceRun.Status.DRAFT
    assert run.created_by is not None
    page = staff_client.get(reverse("admin:core_invoicerun_change", args=[run.pk])).content.decode()
    assert "Totaux par prestation" in page and "Repas maternelle" in page and "14,80 €" in page
    assert "Nouveaux (1)" in page and "TEST" in page
    assert "Émettre" in page and "Recalculer" in page and "Abandonner" in page


def test_a_second_run_for_the_same_month_is_refused(staff_client, december, town, django_capture_on_commit_callbacks):
    create_run(staff_client, town, django_capture_on_commit_callbacks)
    response = staff_client.post(reverse("admin:core_invoicerun_add"), {"regie": town.regie.pk, "month": "01/12/2026"})
    assert response.status_code == 200 and InvoiceRun.objects.count() == 1


def test_staff_issue_a_run_from_its_page(staff_client, december, town, django_capture_on_commit_callbacks, mailoutbox):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    url = reverse("admin:core_invoicerun_issue_run", args=[run.pk])
    assert staff_client.get(url).status_code == 200  # the confirmation dialog: nothing issued yet
    assert InvoiceRun.objects.get().status == InvoiceRun.Status.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"_form_submitted": "on"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUED and run.issued_by.email == "agent@mairie.test"
    invoice = Invoice.objects.for_household(december.household).get()
    assert invoice.number and invoice.pdf and len(mailoutbox) == 1
    page = staff_client.get(reverse("admin:core_invoicerun_change", args=[run.pk])).content.decode()
    assert "Émise" in page and "/emettre/" not in page and "/abandonner/" not in page
    assert staff_client.post(reverse("admin:core_invoicerun_discard_run", args=[run.pk]), {"_form_submitted": "on"}).status_code == 403


def test_staff_discard_a_draft(staff_client, december, town, django_capture_on_commit_callbacks):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    response = staff_client.post(reverse("admin:core_invoicerun_discard_run", args=[run.pk]), {"_form_submitted": "on"})
    assert response.status_code == 302 and not InvoiceRun.objects.exists()


def test_an_issued_invoice_is_read_only_in_the_admin(staff_client, december, town, django_capture_on_commit_callbacks):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    invoice = Invoice.objects.issued().get()
    url = reverse("admin:core_invoice_change", args=[invoice.pk])
    page = staff_client.get(url).content.decode()
    assert invoice.number in page and "M TEST Deux" in page and "Télécharger" in page
    assert 'name="total"' not in page and 'name="_save"' not in page
    response = staff_client.post(url, {"total": "1.00", "payer_name": "X", "_save": "1"})
    assert response.status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("14.80")
    assert staff_client.post(reverse("admin:core_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code == 403
    assert staff_client.get(reverse("admin:core_invoice_changelist")).status_code == 200


def test_staff_download_the_pdf_through_the_admin_not_a_media_url(staff_client, december, town, gestionnaire,
                                                                  django_capture_on_commit_callbacks):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    invoice = Invoice.objects.issued().get()
    url = reverse("admin:core_invoice_pdf", args=[invoice.pk])
    page = staff_client.get(reverse("admin:core_invoice_change", args=[invoice.pk])).content.decode()
    assert f'href="{url}"' in page and "/media/" not in page
    response = staff_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="facture-{invoice.number}.pdf"' in response["Content-Disposition"]
    with invoice.pdf.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    staff_client.force_login(gestionnaire)  # families and bookings, no invoices
    assert staff_client.get(url).status_code == 403


def test_staff_credit_part_of_an_invoice(staff_client, december, town, django_capture_on_commit_callbacks):
    run = create_run(staff_client, town, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    invoice = Invoice.objects.issued().get()
    line = invoice.lines.get()
    url = reverse("admin:core_invoice_credit_invoice", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"_form_submitted": "on", "reason": "Sortie scolaire", f"line_{line.pk}": "1"})
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert note.amount == Decimal("3.70") and invoice.balance == Decimal("11.10") and note.pdf
    page = staff_client.get(reverse("admin:core_creditnote_change", args=[note.pk])).content.decode()
    assert reverse("admin:core_creditnote_pdf", args=[note.pk]) in page
    response = staff_client.get(reverse("admin:core_creditnote_pdf", args=[note.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_invoice_list_shows_and_sorts_on_what_is_still_due(staff_client, family, town):
    runs = [factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2026, m, 1)) for m in (10, 11, 12)]
    small, big, settled = (
        factories.InvoiceFactory(regie=town.regie, household=family.household, run=run, total=Decimal(total))
        for run, total in zip(runs, ["59.20", "30.00", "12.00"], strict=True)
    )
    CreditNote.objects.create(regie=town.regie, invoice=small, number="RS2027AV00001", sequence=1, reason="Sortie",
                              amount=Decimal("49.20"), issue_date=datetime.date(2027, 1, 6))
    factories.PaymentFactory(household=family.household, regie=town.regie, method="cash", status="paid",
                             amount=Decimal("12.00")).allocations.create(invoice=settled, amount=Decimal("12.00"))
    url = reverse("admin:core_invoice_changelist")
    column = 1 + ["number_or_draft", "household", "payer_name", "period_start", "total_euros", "balance_euros"].index(
        "balance_euros"
    )
    page = staff_client.get(url, {"o": str(column)}).content.decode()
    assert page.index(settled.number) < page.index(small.number) < page.index(big.number)
    assert "10,00 €" in page and "0,00 €" in page

"""A rejected direct debit's fee: fixed at the reject, billed as a line of the household's next
invoice (never on the rejected, issued invoice), shown by the PDF, the portal, the API and exports."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import DirectDebit, Invoice, InvoiceLine, Mandate
from core.services import direct_debit as dd
from core.services import invoicing
from core.services.reject_fees import reject_fee_for, unbilled_reject_fees
from tests import factories
from tests.core import test_direct_debit, test_invoicing
from tests.core.test_direct_debit import DEBIT_DAY, NOW, _sent_debit, active_mandate
from tests.core.test_invoice_balance import make_invoice
from tests.core.test_invoicing import DECEMBER, issue, make_run, pdf_text

pytestmark = pytest.mark.usefixtures("media_root")

FEE = Decimal("7.50")

# The fixtures of the direct-debit and invoicing tests, under their names.
regie = test_direct_debit.regie
priced = test_invoicing.priced
december = test_invoicing.december


@pytest.fixture
def rejected(family, regie):
    """The family's debit of a 59,20 € invoice was rejected (AM04); the régie charges 7,50 €."""
    regie.sepa_reject_fee = FEE
    regie.save()
    mandate = active_mandate(family, regie)
    # Numbered in 2026, apart from the numbers the runs below give in 2027.
    invoice = make_invoice(regie, family.household, "59.20", number="RS202600412", sequence=412)
    DirectDebit.objects.create(invoice=invoice, mandate=mandate, amount=invoice.total, debit_date=DEBIT_DAY)
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)
    dd.debit_batch_mark_sent(batch_id=batch.pk, now=NOW)
    dd.direct_debit_reject(debit_id=batch.debits.get().pk, code="AM04", now=NOW)
    return batch.debits.get()


def test_the_fee_is_the_regies_except_for_the_creditors_own_errors(regie):
    regie.sepa_reject_fee = FEE
    assert reject_fee_for(regie=regie, code="AM04") == FEE
    assert reject_fee_for(regie=regie, code="AM05") == Decimal("0")  # a duplicate the régie sent
    assert reject_fee_for(regie=regie, code="BE05") == Decimal("0")
    regie.sepa_reject_fee = Decimal("0")
    assert reject_fee_for(regie=regie, code="AM04") == Decimal("0")


def test_a_reject_fixes_the_fee_and_leaves_the_rejected_invoice_untouched(rejected):
    invoice = Invoice.objects.with_balance().get(pk=rejected.invoice_id)
    assert rejected.reject_fee == FEE
    assert invoice.total == Decimal("59.20") and invoice.balance == Decimal("59.20")
    assert not invoice.lines.filter(kind=InvoiceLine.Kind.REJECT_FEE).exists()
    assert list(unbilled_reject_fees(regie=rejected.mandate.regie)) == [rejected]


def test_a_reject_for_the_creditors_error_costs_nothing(family, regie):
    regie.sepa_reject_fee = FEE
    regie.save()
    _, _, debit = _sent_debit(family, regie, active_mandate(family, regie))
    dd.direct_debit_reject(debit_id=debit.pk, code="AM05", now=NOW)
    debit.refresh_from_db()
    assert debit.reject_fee == Decimal("0")
    assert not unbilled_reject_fees(regie=regie).exists()


def test_the_next_run_bills_the_fee_on_the_households_invoice(december, rejected, town, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    invoice = run.invoices.get(household=december.household)
    meals, fee = invoice.lines.order_by("position")
    assert meals.kind == InvoiceLine.Kind.ACTIVITY
    assert (fee.kind, fee.child, fee.activity, fee.rejected_debit) == (InvoiceLine.Kind.REJECT_FEE, None, None, rejected)
    assert (fee.quantity, fee.unit_price, fee.amount, fee.dates) == (1, FEE, FEE, [])
    assert fee.label == f"Frais de rejet du prélèvement du 10/02/2027 (facture n° {rejected.invoice.number}, motif AM04)"
    assert invoice.total == Decimal("59.20") + FEE
    assert run.total_amount == Decimal("59.20") + Decimal("7.40") + FEE
    assert not unbilled_reject_fees(regie=town.regie).exists()
    review = invoicing.invoice_run_review(run=run)
    assert ("Frais de rejet de prélèvement", {"quantity": 1, "amount": FEE}) in review["per_activity"]


def test_a_household_with_only_a_fee_gets_an_invoice_for_it(rejected, town, priced, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    invoice = run.invoices.get()
    assert invoice.household_id == rejected.mandate.household_id
    assert invoice.total == FEE and invoice.lines.get().kind == InvoiceLine.Kind.REJECT_FEE


def test_a_fee_is_billed_once_across_recomputation_discard_and_later_runs(
    december, rejected, town, django_capture_on_commit_callbacks
):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_recompute(run_id=run.pk)
    assert InvoiceLine.objects.filter(rejected_debit=rejected).count() == 1
    invoicing.invoice_run_discard(run_id=run.pk)
    assert unbilled_reject_fees(regie=town.regie).exists()  # the discarded draft frees it
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    january = make_run(town.regie, datetime.date(2027, 1, 1), django_capture_on_commit_callbacks)
    assert not InvoiceLine.objects.filter(invoice__run=january, kind=InvoiceLine.Kind.REJECT_FEE).exists()
    assert InvoiceLine.objects.get(rejected_debit=rejected).invoice.run == run


def test_the_issued_invoice_shows_the_fee_in_its_pdf_and_is_debited_in_full(
    december, rejected, town, django_capture_on_commit_callbacks
):
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = run.invoices.get(household=december.household)
    text = pdf_text(invoice.pdf)
    assert "Frais de rejet du prélèvement du 10/02/2027" in text
    assert "7,50 €" in text and "66,70 €" in text
    # The mandate is still active: the next debit takes the fee with the month.
    assert DirectDebit.objects.get(invoice=invoice, status=DirectDebit.Status.SCHEDULED).amount == Decimal("66.70")


def test_a_suspended_mandates_fee_invoice_is_payable_by_card(rejected, town, priced, django_capture_on_commit_callbacks):
    Mandate.objects.filter(pk=rejected.mandate_id).update(status=Mandate.Status.SUSPENDED)
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.with_balance().get(run=run)
    assert invoice.is_payable and invoice.balance == FEE
    assert "PayFiP" in pdf_text(invoice.pdf)


def test_the_portal_and_the_api_show_the_fee(december, rejected, town, client, django_capture_on_commit_callbacks):
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = run.invoices.get(household=december.household)
    client.force_login(december.user)
    text = client.get(reverse("portail:invoices")).text
    assert "66,70 €" in text
    assert "Dont frais de rejet de prélèvement</dt><dd>7,50 €" in text
    data = client.get(reverse("api:invoice", kwargs={"invoice_id": invoice.pk})).json()
    fee = data["lines"][-1]
    assert (fee["kind"], fee["child"], fee["activity"], fee["amount"]) == ("reject_fee", None, None, "7.50")


def test_the_invoice_export_has_the_fee_column(december, rejected, town, django_capture_on_commit_callbacks):
    from admin_ext.resources import InvoiceResource

    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    queryset = Invoice.objects.issued().filter(household=december.household).with_balance().with_fees()
    resource = InvoiceResource()
    fees = {invoice.number: resource.dehydrate_fees(invoice) for invoice in queryset}
    assert fees == {"RS202600412": Decimal("0.00"), "RS202700002": FEE}
    assert "dont_frais_rejet" in resource.export(queryset=queryset).headers


def test_certificates_skip_fee_lines(december, rejected, town, django_capture_on_commit_callbacks):
    from core.services.certificates import attendance_attestation_compute

    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    result = attendance_attestation_compute(
        household=december.household, start=datetime.date(2026, 12, 1), end=datetime.date(2026, 12, 31),
        today=datetime.date(2027, 1, 10),
    )
    assert [row["count"] for row in result["rows"]] == [16]


def test_a_fee_line_needs_no_child_and_an_activity_line_needs_both(rejected, family, town):
    from django.db import IntegrityError, transaction

    invoice = factories.InvoiceFactory(regie=town.regie, household=family.household, number="", status="draft",
                                       sequence=None, issue_date=None, due_date=None, issued_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=invoice, label="x", quantity=1, unit_price=FEE, amount=FEE)
    InvoiceLine.objects.create(
        invoice=invoice, kind=InvoiceLine.Kind.REJECT_FEE, rejected_debit=rejected, label="Frais", quantity=1,
        unit_price=FEE, amount=FEE,
    )


def test_staff_see_where_the_fee_is_billed(december, rejected, town, client, administrateur, django_capture_on_commit_callbacks):
    client.force_login(administrateur)
    url = reverse("admin:core_directdebit_change", args=[rejected.pk])
    assert "la prochaine facture du foyer" in client.get(url).text
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = run.invoices.get(household=december.household)
    assert f"Facture n° {invoice.number}" in client.get(url).text

"""An invoice's money state has one owner: Invoice.balance (and its parts) in Python, and its SQL
twin InvoiceQuerySet.with_balance(); the two must agree on every kind of invoice, on SQLite and
on PostgreSQL (run this file with DATABASE_URL set too)."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from core.models import CreditNote, Invoice, Payment, PaymentAllocation
from tests import factories

RECEIVED = datetime.date(2027, 1, 10)


@pytest.fixture
def regie(town):
    return town.regie


@pytest.fixture
def household(family):
    return family.household


_months = iter(range(1000))


def make_invoice(regie, household, total, **extra):
    """An invoice of its own month (one invoice per run and household)."""
    n = next(_months)
    run = factories.InvoiceRunFactory(regie=regie, month=datetime.date(2020 + n // 12, n % 12 + 1, 1))
    return factories.InvoiceFactory(regie=regie, household=household, run=run, total=Decimal(total), **extra)


def pay(household, regie, parts, *, status=Payment.Status.PAID, method=Payment.Method.CHEQUE):
    """One payment of `status` spread over {invoice: amount}."""
    payment = Payment.objects.create(
        household=household, regie=regie, method=method, status=status, created_at=timezone.now(),
        amount=sum((Decimal(amount) for amount in parts.values()), Decimal("0.00")),
        received_on=RECEIVED if method != Payment.Method.ONLINE else None,
    )
    for invoice, amount in parts.items():
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=Decimal(amount))
    return payment


_credit_sequence = iter(range(1, 1000))


def credit(invoice, amount):
    sequence = next(_credit_sequence)
    return CreditNote.objects.create(
        regie=invoice.regie, invoice=invoice, number=f"RS2027AV{sequence:05d}", sequence=sequence, reason="Sortie",
        amount=Decimal(amount), issue_date=RECEIVED,
    )


@pytest.fixture
def ledger(regie, household):
    """Invoices in every money state, with amounts whose floating-point sums are not exact."""
    invoices = {name: make_invoice(regie, household, total) for name, total in [
        ("untouched", "59.20"), ("partly_paid", "59.20"), ("paid_in_two", "0.30"), ("credited", "59.20"),
        ("cancelled", "59.20"), ("credit_and_payment", "59.20"), ("over_credited", "59.20"),
        ("attempts_only", "12.40"), ("shared_payment", "7.45"),
    ]}
    pay(household, regie, {invoices["partly_paid"]: "20.00"})
    pay(household, regie, {invoices["paid_in_two"]: "0.10"})
    pay(household, regie, {invoices["paid_in_two"]: "0.20"}, method=Payment.Method.CASH)
    credit(invoices["credited"], "7.40")
    credit(invoices["cancelled"], "59.20")
    credit(invoices["credit_and_payment"], "37.00")
    pay(household, regie, {invoices["credit_and_payment"]: "22.20"})
    pay(household, regie, {invoices["over_credited"]: "22.20"})
    credit(invoices["over_credited"], "59.20")
    for status in (Payment.Status.INITIATED, Payment.Status.REFUSED, Payment.Status.MISMATCH):
        pay(household, regie, {invoices["attempts_only"]: "12.40"}, status=status, method=Payment.Method.ONLINE)
    pay(household, regie, {invoices["shared_payment"]: "7.45", invoices["untouched"]: "0.05"}, status=Payment.Status.REFUSED,
        method=Payment.Method.ONLINE)
    pay(household, regie, {invoices["shared_payment"]: "3.15", invoices["partly_paid"]: "9.10"})
    return invoices


EXPECTED = {  # name: (credited, paid, balance)
    "untouched": ("0.00", "0.00", "59.20"),
    "partly_paid": ("0.00", "29.10", "30.10"),
    "paid_in_two": ("0.00", "0.30", "0.00"),
    "credited": ("7.40", "0.00", "51.80"),
    "cancelled": ("59.20", "0.00", "0.00"),
    "credit_and_payment": ("37.00", "22.20", "0.00"),
    "over_credited": ("59.20", "22.20", "-22.20"),
    "attempts_only": ("0.00", "0.00", "12.40"),
    "shared_payment": ("0.00", "3.15", "4.30"),
}


def money(invoice):
    return invoice.credited_amount, invoice.paid_amount, invoice.balance


def test_the_sql_annotation_and_the_python_computation_agree(ledger):
    annotated = {invoice.pk: invoice for invoice in Invoice.objects.with_balance()}
    for name, invoice in ledger.items():
        plain = Invoice.objects.get(pk=invoice.pk)
        assert not hasattr(plain, "balance_due")
        expected = tuple(Decimal(value) for value in EXPECTED[name])
        assert money(plain) == expected, name
        assert money(annotated[invoice.pk]) == expected, name
        assert [str(value) for value in money(annotated[invoice.pk])] == list(EXPECTED[name]), name  # to the cent


def test_a_listed_balance_costs_one_query_whatever_the_number_of_invoices(ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        balances = [invoice.balance for invoice in Invoice.objects.with_balance()]
    assert len(balances) == len(ledger)


def test_the_annotated_balance_can_be_summed_in_sql(ledger):
    total = Invoice.objects.with_balance().aggregate(total=Sum("balance_due"))["total"]
    expected = sum((Decimal(balance) for _, _, balance in EXPECTED.values()), Decimal("0.00"))
    assert Decimal(total).quantize(Decimal("0.01")) == expected


def test_an_invoice_is_payable_only_when_due_and_not_held(regie, household, ledger):
    assert ledger["untouched"].is_payable and ledger["partly_paid"].is_payable
    paid = make_invoice(regie, household, "10.00", status=Invoice.Status.PAID)
    held = make_invoice(regie, household, "10.00", status=Invoice.Status.PAYMENT_IN_PROGRESS)
    draft = make_invoice(regie, household, "10.00", status=Invoice.Status.DRAFT, number="", issue_date=None, due_date=None)
    for invoice in (paid, held, draft, ledger["cancelled"], ledger["paid_in_two"]):
        assert not invoice.is_payable, invoice
    # « À payer » but nothing left to pay (a state the settlement never leaves): not payable either
    assert ledger["paid_in_two"].status == Invoice.Status.UNPAID and not ledger["paid_in_two"].is_payable


def test_open_and_archived_invoices_split_by_status(regie, household):
    for status in Invoice.Status:
        extra = {"number": "", "issue_date": None, "due_date": None} if status == Invoice.Status.DRAFT else {}
        make_invoice(regie, household, "1.00", status=status, **extra)
    assert sorted(Invoice.objects.open().values_list("status", flat=True)) == [
        "debit_in_progress", "payment_in_progress", "transmitted", "unpaid"
    ]
    assert sorted(Invoice.objects.archived().values_list("status", flat=True)) == ["cancelled", "paid"]
    # A handed-over invoice is still owed by the family, but no longer collected by the régie.
    assert sorted(Invoice.objects.at_regie().values_list("status", flat=True)) == ["debit_in_progress", "payment_in_progress", "unpaid"]

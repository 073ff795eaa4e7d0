"""Hand-over of unpaid invoices to the public accountant: what may be handed over, what the
invoices become (not payable anywhere at the régie), the batch's record, spreadsheet and ZIP,
and the only way back, a credit note."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.models import HandoverBatch, Invoice, Payment, PaymentAllocation
from core.services import handover, invoicing, payments, reminders
from core.services.handover import HandoverError, SPREADSHEET_COLUMNS, handover_create
from tests import factories

NOW = datetime.datetime(2027, 4, 1, 9, 0, tzinfo=datetime.UTC)  # the factory's due date is 4 February 2027


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


_months = iter(range(1, 1000))


def make_invoice(regie, household, **extra):
    n = next(_months)
    run = factories.InvoiceRunFactory(regie=regie, month=datetime.date(2000 + n // 12, n % 12 + 1, 1))
    extra.setdefault("payer_address", "12 rue des Lilas\nBâtiment B\n59270 Valbourg")
    return factories.InvoiceFactory(regie=regie, household=household, run=run, **extra)


@pytest.fixture
def overdue(town, family):
    return [make_invoice(town.regie, family.household, total=Decimal(total)) for total in ("59.20", "12.40")]


def test_a_hand_over_takes_invoices_out_of_the_regie(overdue, regisseur):
    batch = handover_create(invoice_ids=[i.pk for i in overdue], by=regisseur, now=NOW)
    assert (batch.invoice_count, batch.total_due, batch.created_by, batch.created_at) == (2, Decimal("71.60"), regisseur, NOW)
    assert sorted(batch.items.values_list("amount_due", flat=True)) == [Decimal("12.40"), Decimal("59.20")]
    for invoice in Invoice.objects.filter(pk__in=[i.pk for i in overdue]):
        assert invoice.status == Invoice.Status.TRANSMITTED
        assert not invoice.is_payable and invoice.is_with_public_accountant
    assert set(Invoice.objects.open()) == set(overdue)  # still owed by the family…
    assert not Invoice.objects.at_regie().exists()  # …but no longer to the régie


def test_a_handed_over_invoice_cannot_be_paid_online_or_at_the_desk(overdue, regisseur, family):
    handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=NOW)
    with pytest.raises(payments.PaymentError, match="n'est plus à payer"):
        payments.payment_start(guardian=family.parent, invoice_ids=[overdue[0].pk], now=NOW)
    with pytest.raises(payments.PaymentError, match="n'est plus à payer"):
        payments.payment_record_manual(
            household=family.household, method=Payment.Method.CASH, amount=Decimal("1.00"),
            invoice_ids=[overdue[0].pk], received_on=NOW.date(), now=NOW,
        )


def test_a_handed_over_invoice_gets_no_more_reminders(overdue, regisseur, town):
    reminders.reminder_steps_default(regie=town.regie)
    handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=NOW)
    assert [invoice_id for invoice_id, _ in reminders.reminders_due(today=NOW.date())] == [overdue[1].pk]
    with pytest.raises(reminders.ReminderError):
        reminders.reminder_send(invoice_id=overdue[0].pk, now=NOW)


def test_an_invoice_is_handed_over_once(overdue, regisseur):
    handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=NOW)
    with pytest.raises(HandoverError, match="transmise au trésor public"):
        handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=NOW)
    assert HandoverBatch.objects.count() == 1


@pytest.mark.parametrize("status", [Invoice.Status.PAID, Invoice.Status.PAYMENT_IN_PROGRESS, Invoice.Status.CANCELLED])
def test_only_payable_invoices_are_handed_over(overdue, regisseur, status):
    Invoice.objects.filter(pk=overdue[0].pk).update(status=status)
    with pytest.raises(HandoverError, match=f"Facture n° {overdue[0].number}"):
        handover_create(invoice_ids=[i.pk for i in overdue], by=regisseur, now=NOW)
    assert Invoice.objects.get(pk=overdue[1].pk).status == Invoice.Status.UNPAID  # all or nothing
    assert not HandoverBatch.objects.exists()


def test_an_invoice_not_yet_due_is_refused(overdue, regisseur):
    with pytest.raises(HandoverError, match="pas encore échue"):
        handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=datetime.datetime(2027, 2, 4, 9, tzinfo=datetime.UTC))


def test_one_batch_per_regie(town, family, regisseur, overdue):
    other = make_invoice(factories.RegieFactory(name="Autre régie", invoice_prefix="AU"), family.household)
    with pytest.raises(HandoverError, match="régies différentes"):
        handover_create(invoice_ids=[overdue[0].pk, other.pk], by=regisseur, now=NOW)


def test_a_partly_paid_invoice_hands_over_what_is_left(overdue, regisseur, family, town):
    payment = Payment.objects.create(
        household=family.household, regie=town.regie, method=Payment.Method.CHEQUE, status=Payment.Status.PAID,
        amount=Decimal("20.00"), received_on=NOW.date(), created_at=NOW,
    )
    PaymentAllocation.objects.create(payment=payment, invoice=overdue[0], amount=Decimal("20.00"))
    batch = handover_create(invoice_ids=[overdue[0].pk], by=regisseur, now=NOW)
    assert batch.total_due == Decimal("39.20")


def test_the_spreadsheet_lists_what_the_accountant_recovers(overdue, regisseur, town):
    reminders.reminder_steps_default(regie=town.regie)
    reminders.reminders_send(now=NOW)
    batch = handover_create(invoice_ids=[i.pk for i in overdue], by=regisseur, now=NOW)
    sheet = load_workbook(io.BytesIO(batch.spreadsheet.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == SPREADSHEET_COLUMNS
    first = dict(zip(SPREADSHEET_COLUMNS, rows[1], strict=True))
    invoice = min(overdue, key=lambda i: i.number)
    assert first["N° de facture"] == invoice.number
    assert first["Redevable"] == invoice.payer_name
    assert (first["Adresse"], first["Code postal"], first["Commune"]) == ("12 rue des Lilas, Bâtiment B", "59270", "Valbourg")
    assert first["Date d'émission"].date() == invoice.issue_date
    assert first["Reste à recouvrer"] == float(invoice.total)
    assert first["Relances envoyées"] == 1 and first["Dernière relance"].date() == NOW.date()
    assert rows[-1][0] == "Total" and rows[-1][14] == 71.6


def test_the_zip_holds_each_invoice_pdf(overdue, regisseur):
    batch = handover_create(invoice_ids=[i.pk for i in overdue], by=regisseur, now=NOW)
    with zipfile.ZipFile(io.BytesIO(batch.archive.read())) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"facture-{i.number}.pdf" for i in overdue)
        assert archive.read(names[0]).startswith(b"%PDF")


def test_a_credit_note_is_the_way_back(overdue, regisseur, family, town):
    line_invoice = overdue[0]
    factories_line(line_invoice, family, town)
    handover_create(invoice_ids=[line_invoice.pk], by=regisseur, now=NOW)
    note = invoicing.credit_note_create(invoice_id=line_invoice.pk, reason="Erreur de facturation", now=NOW)
    assert note.is_cancellation
    assert Invoice.objects.get(pk=line_invoice.pk).status == Invoice.Status.CANCELLED


def test_a_partial_credit_keeps_the_invoice_with_the_accountant(overdue, regisseur, family, town):
    invoice = overdue[0]
    line = factories_line(invoice, family, town)
    handover_create(invoice_ids=[invoice.pk], by=regisseur, now=NOW)
    invoicing.credit_note_create(invoice_id=invoice.pk, reason="Sortie", quantities={line.pk: 1}, now=NOW)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.TRANSMITTED


def factories_line(invoice, family, town):
    """A 16-day line on a draft copy of the invoice (lines are frozen once issued)."""
    from core.models import InvoiceLine

    number = invoice.number
    Invoice.objects.filter(pk=invoice.pk).update(number="", status=Invoice.Status.DRAFT)
    line = InvoiceLine.objects.create(
        invoice=Invoice.objects.get(pk=invoice.pk), child=family.children[0], activity=town.repas_maternelle,
        label="Repas", dates=[], quantity=16, unit_price=Decimal("3.70"), amount=Decimal("59.20"),
    )
    Invoice.objects.filter(pk=invoice.pk).update(number=number, status=Invoice.Status.UNPAID)
    return line


def test_split_address():
    assert handover.split_address("M X\n1 rue A\n59270 Valbourg") == ("M X, 1 rue A", "59270", "Valbourg")
    assert handover.split_address("Quelque part") == ("Quelque part", "", "")
    assert handover.split_address("") == ("", "", "")

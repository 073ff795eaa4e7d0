"""Invoice runs: draft, review, issue (numbers, snapshots, PDF, email), immutability, credit notes."""

import datetime
import io
from functools import partial
from decimal import Decimal

import pytest
from django.core import mail

from core.models import DocumentCounter, EmailLog, Invoice, InvoiceRun
from core.models.billing import IssuedDocumentError
from core.services import invoicing, payments
from tests import factories
from tests.concurrency import run_concurrently

DECEMBER = datetime.date(2026, 12, 1)
ISSUE_NOW = datetime.datetime(2027, 1, 5, 9, 30, tzinfo=datetime.UTC)
DECEMBER_DAYS = [datetime.date(2026, 12, d) for d in (1, 3, 4, 7, 8, 10, 11, 14, 15, 17, 18, 21, 22, 24, 28, 29)]


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def priced(town):
    brackets = [
        factories.QuotientBracketFactory(label="A", min_value=0, max_value=700),
        factories.QuotientBracketFactory(label="C", min_value=701, max_value=None),
    ]
    for activity in (town.repas_maternelle, town.repas_primaire, town.garderie_soir):
        factories.TariffFactory(activity=activity, bracket=brackets[0], unit_price=Decimal("2.50"))
        factories.TariffFactory(activity=activity, bracket=brackets[1], unit_price=Decimal("3.70"))
    return brackets


def book(child, activity, days):
    for day in days:
        factories.BookingFactory(child=child, activity=activity, date=day)


@pytest.fixture
def december(family, separated_couple, town, priced):
    """Junior TEST eats 16 meals in December (59,20 €); Tom MARTIN-DUVAL eats 2."""
    factories.QuotientFamilialFactory(household=family.household, value=1350)
    book(family.children[0], town.repas_maternelle, DECEMBER_DAYS)
    book(separated_couple.children[0], town.repas_maternelle, DECEMBER_DAYS[:2])
    return family


def make_run(regie, month, captured):
    with captured(execute=True):
        run = invoicing.invoice_run_create(regie=regie, month=month)
    run.refresh_from_db()
    return run


def issue(run, captured, now=ISSUE_NOW):
    with captured(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=now)
    run.refresh_from_db()
    return run


def pdf_text(field):
    with field.open("rb") as handle:
        return pdf_text_of(handle.read())


def pdf_text_of(content):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_a_run_is_computed_as_a_draft_in_the_background(december, town, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    assert run.status == InvoiceRun.Status.DRAFT
    assert (run.progress_done, run.progress_total, run.invoice_count) == (2, 2, 2)
    assert run.total_amount == Decimal("59.20") + Decimal("7.40")  # MARTIN-DUVAL has no quotient: top bracket
    test_invoice = run.invoices.get(household=december.household)
    assert (test_invoice.status, test_invoice.number, test_invoice.total) == ("draft", "", Decimal("59.20"))
    [line] = test_invoice.lines.all()
    assert (line.quantity, line.unit_price) == (16, Decimal("3.70"))
    assert not Invoice.objects.for_household(december.household).exists()


def test_a_household_with_nothing_to_pay_gets_no_invoice(december, other_family, town, django_capture_on_commit_callbacks):
    factories.BookingFactory(
        child=other_family.children[0], activity=town.repas_maternelle, date=DECEMBER_DAYS[0], status="cancelled",
        cancelled_at=ISSUE_NOW,
    )
    factories.BookingFactory(child=other_family.children[0], activity=town.repas_maternelle, date=DECEMBER_DAYS[1])
    factories.AttendanceFactory(
        child=other_family.children[0], activity=town.repas_maternelle, date=DECEMBER_DAYS[1], status="absent_justified"
    )
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    assert run.progress_total == 3 and run.invoice_count == 2
    assert not run.invoices.filter(household=other_family.household).exists()


def test_issuing_numbers_snapshots_renders_and_emails(december, town, django_capture_on_commit_callbacks):
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    assert run.status == InvoiceRun.Status.ISSUED and run.delivered_at
    invoices = list(run.invoices.order_by("sequence"))
    assert [i.number for i in invoices] == ["RS202700001", "RS202700002"]  # by household reference
    invoice = Invoice.objects.for_household(december.household).get()
    assert invoice.status == Invoice.Status.UNPAID and invoice.balance == Decimal("59.20")
    assert (invoice.issue_date, invoice.due_date) == (datetime.date(2027, 1, 5), datetime.date(2027, 2, 4))
    assert invoice.payer_name == "M TEST Deux" and invoice.payer_email == "parent@example.org"
    assert invoice.payer_address == "8 rue des Écoles\n59270 Valbourg"
    assert invoice.title == "Facture du 01/12/2026 pour M TEST Deux"
    assert invoice.pdf.name.startswith("factures/RS/2027/") and invoice.emailed_at


def test_the_payer_snapshot_does_not_follow_later_changes(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    december.parent.first_name, december.parent.email = "Changé", "nouveau@example.org"
    december.parent.save()
    invoice = Invoice.objects.for_household(december.household).get()
    assert invoice.payer_name == "M TEST Deux" and invoice.payer_email == "parent@example.org"


def test_the_pdf_shows_number_payer_total_due_date_and_appeal_routes(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    text = pdf_text(invoice.pdf)
    assert f"N° {invoice.number}" in text
    assert "Facture du 01/12/2026 pour M TEST Deux" in text
    assert "59,20 €" in text and "04/02/2027" in text
    assert "Junior TEST" in text and "Repas maternelle" in text
    assert "L1617-5" in text and "deux mois" in text and "PayFiP" in text


def test_the_invoice_email_carries_the_pdf(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    [message] = [m for m in mail.outbox if m.to == ["parent@example.org"]]
    assert message.subject == f"Votre facture est disponible — n° {invoice.number}"
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"facture-{invoice.number}.pdf", "application/pdf")
    with invoice.pdf.open("rb") as handle:
        assert content == handle.read() and content.startswith(b"%PDF")
    log = EmailLog.objects.get(recipient="parent@example.org", kind="invoice_available")
    assert log.status == EmailLog.Status.SENT and log.household == december.household


def test_a_run_issued_twice_is_issued_once(december, town, django_capture_on_commit_callbacks):
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    numbers = sorted(run.invoices.values_list("number", flat=True))
    pdfs = sorted(run.invoices.values_list("pdf", flat=True))
    issue(run, django_capture_on_commit_callbacks, now=ISSUE_NOW + datetime.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_deliver(run_id=run.pk)
    assert sorted(run.invoices.values_list("number", flat=True)) == numbers
    assert sorted(run.invoices.values_list("pdf", flat=True)) == pdfs
    assert DocumentCounter.objects.get(regie=town.regie, kind="invoice").last_value == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["parent2a@example.org", "parent@example.org"]  # once each
    assert EmailLog.objects.filter(kind="invoice_available").count() == 2


def test_a_run_is_delivered_by_one_task_per_chunk_and_issued_when_the_last_one_ends(
    december, town, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(invoicing, "DELIVER_CHUNK", 1)
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as issued:
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    with django_capture_on_commit_callbacks() as handed_out:
        [callback() for callback in issued]  # the delivery task hands the invoices out, one task each
    assert len(handed_out) == 2
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUING and run.progress_done == 0 and run.progress_total == 2

    with django_capture_on_commit_callbacks(execute=True):  # the chunk's emails are sent after it
        handed_out[0]()
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUING and run.progress_done == 1
    assert run.invoices.exclude(pdf="").count() == 1 and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        handed_out[1]()
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUED and run.progress_done == 2 and run.delivered_at
    assert not run.invoices.filter(pdf="").exists() and len(mail.outbox) == 2


def test_a_run_stuck_while_issuing_is_delivered_when_issued_again(december, town, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)  # the delivery task was lost
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUING and not run.invoices.exclude(pdf="").exists()
    run = issue(run, django_capture_on_commit_callbacks)
    assert run.status == InvoiceRun.Status.ISSUED and not run.invoices.filter(pdf="").exists()


def test_numbers_are_gapless_across_runs_and_credit_notes_have_their_own(december, town, django_capture_on_commit_callbacks):
    book(december.children[0], town.repas_maternelle, [datetime.date(2027, 1, 4), datetime.date(2027, 1, 5)])
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    january = issue(make_run(town.regie, datetime.date(2027, 1, 1), django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    sequences = sorted(Invoice.objects.issued().values_list("sequence", flat=True))
    assert sequences == [1, 2, 3]
    note = invoicing.credit_note_create(invoice_id=january.invoices.get().pk, reason="Sortie scolaire", now=ISSUE_NOW)
    assert note.number == "RS2027AV00001"


def test_an_issued_invoice_cannot_be_edited_or_deleted(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    invoice.total = Decimal("1.00")
    with pytest.raises(IssuedDocumentError):
        invoice.save()
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.payer_name = "Quelqu'un d'autre"
    with pytest.raises(IssuedDocumentError):
        invoice.save()
    with pytest.raises(IssuedDocumentError):
        Invoice.objects.get(pk=invoice.pk).delete()
    line = invoice.lines.get()
    line.quantity = 1
    with pytest.raises(IssuedDocumentError):
        line.save()
    with pytest.raises(IssuedDocumentError):
        line.delete()
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.status = Invoice.Status.PAYMENT_IN_PROGRESS  # the payment state still moves
    invoice.save()
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("59.20")


def test_an_issued_run_cannot_be_recomputed_or_discarded(december, town, django_capture_on_commit_callbacks):
    run = issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    with pytest.raises(invoicing.InvoicingError):
        invoicing.invoice_run_recompute(run_id=run.pk)
    with pytest.raises(invoicing.InvoicingError):
        invoicing.invoice_run_discard(run_id=run.pk)
    assert run.invoices.count() == 2


def test_a_draft_is_recomputed_or_discarded(december, town, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    book(december.children[0], town.repas_maternelle, [datetime.date(2026, 12, 31)])
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_recompute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.DRAFT
    assert run.invoices.get(household=december.household).total == Decimal("62.90")
    with pytest.raises(invoicing.InvoicingError, match="existe déjà"):
        invoicing.invoice_run_create(regie=town.regie, month=DECEMBER)
    invoicing.invoice_run_discard(run_id=run.pk)
    assert not InvoiceRun.objects.exists() and not Invoice.objects.exists()


def test_a_missing_tariff_fails_the_computation_with_a_message(december, town, django_capture_on_commit_callbacks):
    town.repas_maternelle.tariffs.all().delete()
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    assert run.status == InvoiceRun.Status.FAILED and "Aucun tarif" in run.error
    with pytest.raises(invoicing.InvoicingError):
        invoicing.invoice_run_issue(run_id=run.pk)


def test_a_credit_note_cancels_an_invoice(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    with pytest.raises(invoicing.InvoicingError, match="motif"):
        invoicing.credit_note_create(invoice_id=invoice.pk, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        note = invoicing.credit_note_create(invoice_id=invoice.pk, reason="Erreur de foyer", now=ISSUE_NOW)
    invoice.refresh_from_db()
    assert note.is_cancellation and note.amount == Decimal("59.20")
    assert invoice.status == Invoice.Status.CANCELLED and invoice.balance == 0
    note.refresh_from_db()
    assert "Avoir — N° RS2027AV00001" in pdf_text(note.pdf)
    with pytest.raises(invoicing.InvoicingError):
        invoicing.credit_note_create(invoice_id=invoice.pk, reason="Encore")


def test_a_credit_note_credits_part_of_an_invoice(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    line = invoice.lines.get()
    with pytest.raises(invoicing.InvoicingError, match="au plus 16"):
        invoicing.credit_note_create(invoice_id=invoice.pk, reason="Sortie", quantities={line.pk: 17})
    note = invoicing.credit_note_create(invoice_id=invoice.pk, reason="Sortie scolaire du 14/12", quantities={line.pk: 2})
    invoice.refresh_from_db()
    assert not note.is_cancellation and note.amount == Decimal("7.40")
    assert invoice.status == Invoice.Status.UNPAID and invoice.balance == Decimal("51.80")
    rest = invoicing.credit_note_create(invoice_id=invoice.pk, reason="Finalement tout le mois")
    assert (rest.amount, rest.lines.get().quantity, rest.is_cancellation) == (Decimal("51.80"), 14, True)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED and invoice.balance == 0


def _partly_paid(december, town, captured, amount="22.20"):
    """Junior's December invoice (59,20 €, 16 days), 22,20 € of it paid by cheque at the desk."""
    issue(make_run(town.regie, DECEMBER, captured), captured)
    invoice = Invoice.objects.for_household(december.household).get()
    payments.payment_record_manual(
        household=december.household, method="cheque", amount=amount, invoice_ids=[invoice.pk],
        received_on=datetime.date(2027, 1, 10),
    )
    return invoice


def test_a_partly_paid_invoice_closed_by_a_credit_note_is_paid(december, town, django_capture_on_commit_callbacks):
    invoice = _partly_paid(december, town, django_capture_on_commit_callbacks)
    line = invoice.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        note = invoicing.credit_note_create(invoice_id=invoice.pk, reason="Sortie scolaire", quantities={line.pk: 10})
    invoice.refresh_from_db()
    assert note.amount == Decimal("37.00") and not note.is_cancellation
    assert invoice.balance == 0 and invoice.status == Invoice.Status.PAID


def test_a_credit_note_then_a_payment_of_the_rest_is_paid(december, town, django_capture_on_commit_callbacks):
    issue(make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.for_household(december.household).get()
    invoicing.credit_note_create(invoice_id=invoice.pk, reason="Sortie scolaire", quantities={invoice.lines.get().pk: 10})
    payments.payment_record_manual(
        household=december.household, method="cash", amount="22.20", invoice_ids=[invoice.pk], received_on=None
    )
    invoice.refresh_from_db()
    assert invoice.balance == 0 and invoice.status == Invoice.Status.PAID


def test_a_partly_paid_invoice_wholly_credited_is_cancelled_with_the_payment_to_refund(
    december, town, django_capture_on_commit_callbacks
):
    invoice = _partly_paid(december, town, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        note = invoicing.credit_note_create(invoice_id=invoice.pk, reason="Erreur de foyer")
    invoice.refresh_from_db()
    assert note.is_cancellation and note.amount == Decimal("59.20")
    assert invoice.status == Invoice.Status.CANCELLED and invoice.balance == Decimal("-22.20")


def test_the_review_compares_with_last_month(december, other_family, town, django_capture_on_commit_callbacks):
    november = datetime.date(2026, 11, 1)
    book(december.children[0], town.repas_maternelle, [datetime.date(2026, 11, 5)])
    book(other_family.children[0], town.repas_maternelle, [datetime.date(2026, 11, 5)])
    issue(make_run(town.regie, november, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    review = invoicing.invoice_run_review(run=run)
    assert [h.reference for h in review["new_households"]] == ["MARTIN-DUVAL"]
    assert [h.reference for h in review["gone_households"]] == ["AUTRE"]
    [change] = review["biggest_changes"]
    assert (change["household"].reference, change["delta"]) == ("TEST", Decimal("55.50"))
    assert review["per_activity"] == [("Repas maternelle", {"quantity": 18, "amount": Decimal("66.60")})]


def test_for_household_lists_only_that_households_issued_invoices(december, separated_couple, town, django_capture_on_commit_callbacks):
    run = make_run(town.regie, DECEMBER, django_capture_on_commit_callbacks)
    assert not Invoice.objects.for_household(december.household).exists()
    issue(run, django_capture_on_commit_callbacks)
    assert [i.household for i in Invoice.objects.for_household(separated_couple.household)] == [separated_couple.household]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_a_regie_issued_at_the_same_time_get_gapless_unique_numbers(town, priced):
    households = [factories.HouseholdFactory() for _ in range(6)]
    for index, household in enumerate(households):
        child = factories.ChildFactory(household=household, school=town.maternelle)
        factories.EnrolmentFactory(child=child, activity=town.repas_maternelle, school_year=town.school_year)
        book(child, town.repas_maternelle, [DECEMBER_DAYS[index], datetime.date(2027, 1, 4 + index % 2)])
    runs = []
    for month in (DECEMBER, datetime.date(2027, 1, 1)):
        run = invoicing.invoice_run_create(regie=town.regie, month=month)
        invoicing.invoice_run_compute(run_id=run.pk)
        runs.append(run)
    _, errors = run_concurrently(*(partial(invoicing.invoice_run_issue, run_id=run.pk, now=ISSUE_NOW) for run in runs))
    assert errors == []
    sequences = sorted(Invoice.objects.issued().values_list("sequence", flat=True))
    assert sequences == list(range(1, 13))
    assert Invoice.objects.issued().values("number").distinct().count() == 12
    assert DocumentCounter.objects.get(regie=town.regie, kind="invoice").last_value == 12

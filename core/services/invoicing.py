"""Invoice runs (draft → issuing → issued), numbering, PDFs, the invoice email and credit notes."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import tasks
from core.constants import CENT, ZERO
from core.emails import queue_email
from core.models import (
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    EmailLog,
    Household,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    Regie,
    User,
)
from core.services.billing import (
    BillingError,
    PriceBook,
    households_month_lines,
    households_to_bill,
    month_bounds,
    payer_snapshot,
)
from core.services.calendar import ServiceCalendar
from core.services.mandates import direct_debits_schedule
from core.services.reject_fees import reject_fee_lines

logger = logging.getLogger("core.invoicing")

PAYMENT_TERM_DAYS = 30
# Households computed per transaction: progress moves on and a discard is noticed between chunks.
COMPUTE_CHUNK = 200
# Invoices delivered by one background task: ~7 PDFs per second each, far below the task timeout.
DELIVER_CHUNK = 100
# An invoice credited by a credit note: due at the régie, or handed over to the public accountant
# (a credit note is the only way back from a hand-over). Not while a payment is in flight.
CREDITABLE_STATUSES = (Invoice.Status.UNPAID, Invoice.Status.TRANSMITTED)


class InvoicingError(Exception):
    """A refused invoicing action; the message is French, for staff."""


def next_document_number(*, regie: Regie, year: int, kind: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers of a régie's yearly series; the counter row stays locked
    until the caller's transaction ends, so numbers are gapless and never given twice."""
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(regie=regie, year=year, kind=kind)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return range(first, first + count)


def format_number(*, regie: Regie, year: int, sequence: int, kind: str = DocumentCounter.Kind.INVOICE) -> str:
    # Letters and digits only: the number doubles as the PayFiP debt reference.
    infix = "AV" if kind == DocumentCounter.Kind.CREDIT_NOTE else ""
    return f"{regie.invoice_prefix}{year}{infix}{sequence:05d}"


# --- runs ---------------------------------------------------------------------------------------
@transaction.atomic
def invoice_run_create(
    *, regie: Regie, month: datetime.date, by: User | None = None, due_date: datetime.date | None = None
) -> InvoiceRun:
    """A régie bills a month once: create its run and compute the draft in the background."""
    month = month.replace(day=1)
    if InvoiceRun.objects.filter(regie=regie, month=month).exists():
        raise InvoicingError(f"Une campagne existe déjà pour {regie} en {month:%m/%Y}.")
    run = InvoiceRun.objects.create(regie=regie, month=month, created_by=by, due_date=due_date)
    tasks.enqueue(tasks.compute_invoice_run, run.pk, group="invoicing")
    return run


def invoice_run_compute(*, run_id: int) -> InvoiceRun | None:
    """Compute a run's draft invoices household by household (progress is visible meanwhile);
    only a run waiting for computation is computed, so a duplicated task does nothing."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().filter(pk=run_id, status=InvoiceRun.Status.COMPUTING).first()
        if run is None:
            return None
        InvoiceLine.objects.filter(invoice__run=run).delete()
        run.invoices.all().delete()
        household_ids = households_to_bill(regie=run.regie, month=run.month)
        run.progress_total, run.progress_done, run.error = len(household_ids), 0, ""
        run.save(update_fields=["progress_total", "progress_done", "error"])
    start, end = month_bounds(run.month)
    prices, service_calendar = PriceBook.load(start, end), ServiceCalendar.load(start, end)
    try:
        for offset in range(0, len(household_ids), COMPUTE_CHUNK):
            chunk = household_ids[offset : offset + COMPUTE_CHUNK]
            with transaction.atomic():
                locked = InvoiceRun.objects.select_for_update().filter(pk=run_id, status=InvoiceRun.Status.COMPUTING)
                if not locked.exists():
                    return None  # discarded or recomputed meanwhile
                done = set(run.invoices.filter(household_id__in=chunk).values_list("household_id", flat=True))
                households = list(
                    Household.objects.filter(pk__in=chunk).exclude(pk__in=done).prefetch_related("quotients").order_by("reference")
                )
                lines = households_month_lines(
                    households=households, regie=run.regie, month=run.month,
                    prices=prices, service_calendar=service_calendar,
                )
                # A rejected debit's fee goes on the household's next invoice, after its activities.
                for household_id, fees in reject_fee_lines(regie=run.regie, household_ids=[h.pk for h in households]).items():
                    lines.setdefault(household_id, []).extend(fees)
                _create_draft_invoices(run=run, lines_by_household=lines)
                InvoiceRun.objects.filter(pk=run_id).update(progress_done=F("progress_done") + len(chunk))
    except BillingError as error:
        InvoiceRun.objects.filter(pk=run_id).update(status=InvoiceRun.Status.FAILED, error=str(error))
        return InvoiceRun.objects.get(pk=run_id)
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().get(pk=run_id)
        if run.status == InvoiceRun.Status.COMPUTING:
            _refresh_totals(run)
            run.status, run.computed_at = InvoiceRun.Status.DRAFT, timezone.now()
            run.save(update_fields=["status", "computed_at", "invoice_count", "total_amount"])
    return run


def _create_draft_invoices(*, run, lines_by_household):
    """One draft invoice per household that owes something (none for nothing to pay), in two inserts."""
    start, end = month_bounds(run.month)
    owing = {household_id: lines for household_id, lines in lines_by_household.items() if lines}
    references = dict(Household.objects.filter(pk__in=owing).values_list("pk", "reference"))
    invoices = Invoice.objects.bulk_create(
        Invoice(
            run=run, regie=run.regie, household_id=household_id, period_start=start, period_end=end,
            total=sum((line.amount for line in lines), ZERO), household_reference=references[household_id],
        )
        for household_id, lines in owing.items()
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice, kind=line.kind, child=line.child, activity=line.activity,
            rejected_debit_id=line.rejected_debit_id, label=line.label, is_unbooked=line.is_unbooked,
            dates=[d.isoformat() for d in line.dates], quantity=line.quantity, unit_price=line.unit_price,
            amount=line.amount, position=position,
        )
        for invoice in invoices
        for position, line in enumerate(owing[invoice.household_id])
    )
    return invoices


def _refresh_totals(run):
    invoices = list(run.invoices.values_list("total", flat=True))
    run.invoice_count, run.total_amount = len(invoices), sum(invoices, ZERO)


@transaction.atomic
def invoice_run_recompute(*, run_id: int) -> InvoiceRun:
    """A draft (or a failed computation) is recomputed from the current bookings and tariffs."""
    run = InvoiceRun.objects.select_for_update().get(pk=run_id)
    if run.is_locked:
        raise InvoicingError("Une campagne émise ne peut plus être recalculée.")
    run.status, run.progress_done, run.error = InvoiceRun.Status.COMPUTING, 0, ""
    run.save(update_fields=["status", "progress_done", "error"])
    tasks.enqueue(tasks.compute_invoice_run, run.pk, group="invoicing")
    return run


@transaction.atomic
def invoice_run_discard(*, run_id: int) -> InvoiceRun:
    """Only a run that was never issued can be discarded, with its draft invoices."""
    run = InvoiceRun.objects.select_for_update().get(pk=run_id)
    if run.is_locked or run.invoices.exclude(number="").exists():
        raise InvoicingError("Une campagne émise ne peut pas être abandonnée.")
    InvoiceLine.objects.filter(invoice__run=run).delete()
    run.invoices.all().delete()
    run.delete()
    return run


@transaction.atomic
def invoice_run_issue(*, run_id: int, by: User | None = None, now: datetime.datetime | None = None) -> InvoiceRun:
    """Issue a reviewed draft: gapless numbers and payer snapshots in one transaction, then PDFs and
    emails in the background. Issuing again only re-triggers the delivery."""
    now = now or timezone.now()
    run = InvoiceRun.objects.select_for_update().select_related("regie").get(pk=run_id)
    if run.status == InvoiceRun.Status.ISSUING:
        tasks.enqueue(tasks.deliver_invoice_run, run.pk, group="invoicing")
        return run
    if run.status == InvoiceRun.Status.ISSUED:
        return run
    if run.status != InvoiceRun.Status.DRAFT:
        raise InvoicingError("Seul un brouillon calculé peut être émis.")
    issue_date = timezone.localdate(now)
    due_date = run.due_date or issue_date + datetime.timedelta(days=PAYMENT_TERM_DAYS)
    invoices = list(
        run.invoices.select_related("household").prefetch_related("household__guardians").order_by("household__reference")
    )
    numbers = next_document_number(regie=run.regie, year=issue_date.year, kind=DocumentCounter.Kind.INVOICE, count=len(invoices))
    for invoice, sequence in zip(invoices, numbers, strict=True):
        for name, value in payer_snapshot(invoice.household).items():
            setattr(invoice, name, value)
        invoice.sequence = sequence
        invoice.number = format_number(regie=run.regie, year=issue_date.year, sequence=sequence)
        invoice.issue_date, invoice.due_date, invoice.issued_at = issue_date, due_date, now
        invoice.status = Invoice.Status.UNPAID
        invoice.household_reference = invoice.household.reference
    # Households under direct debit: each invoice's debit, announced (amount, date) on it.
    direct_debits_schedule(invoices=invoices, issue_date=issue_date, now=now)
    Invoice.objects.bulk_update(
        invoices,
        ["payer_name", "payer_address", "payer_email", "sequence", "number", "issue_date", "due_date", "issued_at",
         "status", "household_reference"],
        batch_size=500,
    )
    _refresh_totals(run)
    run.status, run.issued_at, run.issued_by, run.due_date = InvoiceRun.Status.ISSUING, now, by, due_date
    run.progress_done, run.progress_total = 0, len(invoices)
    run.save()
    tasks.enqueue(tasks.deliver_invoice_run, run.pk, group="invoicing")
    return run


def invoice_run_deliver(*, run_id: int) -> InvoiceRun | None:
    """Hand the undelivered invoices of an issuing run to background tasks, a chunk each, so that a
    town's run spreads over the workers and no task outlives its timeout. Delivering again only
    hands out what is still undelivered; each invoice's PDF and email are claimed once."""
    run = InvoiceRun.objects.filter(pk=run_id, status=InvoiceRun.Status.ISSUING).first()
    if run is None:
        return None
    pending = list(_undelivered(run_id).order_by("sequence").values_list("pk", flat=True))
    if not pending:
        return invoice_run_delivery_check(run_id=run_id)
    for offset in range(0, len(pending), DELIVER_CHUNK):
        chunk = pending[offset : offset + DELIVER_CHUNK]
        tasks.enqueue(tasks.deliver_invoices, run_id, chunk, group="invoicing")
    return run


def invoice_run_deliver_chunk(*, run_id: int, invoice_ids: Iterable[int]) -> InvoiceRun:
    """Render and store each invoice's PDF once, then send its email once."""
    for invoice_id in Invoice.objects.filter(run_id=run_id, pk__in=invoice_ids).order_by("sequence").values_list(
        "pk", flat=True
    ):
        invoice_store_pdf(invoice_id=invoice_id)
        invoice_send_available_email(invoice_id=invoice_id)
    return invoice_run_delivery_check(run_id=run_id)


def invoice_run_delivery_check(*, run_id: int) -> InvoiceRun:
    """Record the run's progress; the run is issued once every invoice has its PDF and, when its
    payer has an email address, its email. Whichever chunk finishes last closes the run."""
    remaining = _undelivered(run_id).count()
    InvoiceRun.objects.filter(pk=run_id, status=InvoiceRun.Status.ISSUING).update(
        progress_done=F("progress_total") - remaining
    )
    if remaining == 0:
        InvoiceRun.objects.filter(pk=run_id, status=InvoiceRun.Status.ISSUING).update(
            status=InvoiceRun.Status.ISSUED, delivered_at=timezone.now()
        )
    return InvoiceRun.objects.get(pk=run_id)


def _undelivered(run_id):
    return Invoice.objects.filter(run_id=run_id).filter(Q(pdf="") | (~Q(payer_email="") & Q(emailed_at__isnull=True)))


# --- PDFs and email -----------------------------------------------------------------------------
def _store_once(model, pk, path, render):
    """Store a rendered document once: a concurrent duplicate keeps the first file."""
    obj = model.objects.get(pk=pk)
    if obj.pdf:
        return obj
    name = default_storage.save(path, ContentFile(render(obj)))
    if model.objects.filter(pk=pk, pdf="").update(pdf=name) == 0:
        default_storage.delete(name)
    return model.objects.get(pk=pk)


def invoice_store_pdf(*, invoice_id: int) -> Invoice:
    """An issued invoice's PDF is rendered once and stored; it is never rendered again."""
    from core.pdf import render_invoice_pdf

    invoice = Invoice.objects.select_related("regie").get(pk=invoice_id)
    if not invoice.is_issued:
        raise InvoicingError("Un brouillon n'a pas de PDF.")
    path = f"factures/{invoice.regie.invoice_prefix}/{invoice.issue_date.year}/{invoice.number}.pdf"
    return _store_once(Invoice, invoice_id, path, render_invoice_pdf)


@transaction.atomic
def invoice_send_available_email(*, invoice_id: int, now: datetime.datetime | None = None) -> list[EmailLog] | None:
    """Each issued invoice is announced once to its payer, with its PDF attached."""
    invoice = Invoice.objects.select_related("regie", "household").get(pk=invoice_id)
    if not (invoice.is_issued and invoice.pdf and invoice.payer_email):
        return None
    claimed = Invoice.objects.filter(pk=invoice_id, emailed_at__isnull=True).update(emailed_at=now or timezone.now())
    if not claimed:
        return None
    return _queue_invoice_email(invoice)


def _queue_invoice_email(invoice):
    """The "Votre facture est disponible" email to the payer, the invoice's PDF attached."""
    return queue_email(
        kind="invoice_available",
        recipients=[invoice.payer_email],
        context={"invoice": invoice},
        household=invoice.household,
        attachments=[(f"facture-{invoice.number}.pdf", invoice.pdf.name, "application/pdf")],
    )


@transaction.atomic
def invoice_resend_email(*, invoice_id: int, now: datetime.datetime | None = None) -> list[EmailLog]:
    """Staff may send an issued invoice's email again, PDF attached: each resend is a new EmailLog."""
    invoice = Invoice.objects.select_for_update().select_related("regie", "household").get(pk=invoice_id)
    if not invoice.is_issued:
        raise InvoicingError("Un brouillon ne s'envoie pas : émettez d'abord la campagne.")
    if not invoice.payer_email:
        raise InvoicingError(f"Facture n° {invoice.number} : le redevable n'a pas d'adresse email.")
    if not invoice.pdf:
        invoice = invoice_store_pdf(invoice_id=invoice_id)
    Invoice.objects.filter(pk=invoice_id).update(emailed_at=now or timezone.now())
    return _queue_invoice_email(invoice)


def credit_note_store_pdf(*, credit_note_id: int) -> CreditNote:
    """A credit note's PDF is rendered once and stored."""
    from core.pdf import render_credit_note_pdf

    note = CreditNote.objects.select_related("regie").get(pk=credit_note_id)
    path = f"avoirs/{note.regie.invoice_prefix}/{note.issue_date.year}/{note.number}.pdf"
    return _store_once(CreditNote, credit_note_id, path, render_credit_note_pdf)


# --- credit notes -------------------------------------------------------------------------------
@transaction.atomic
def credit_note_create(
    *,
    invoice_id: int,
    reason: str,
    quantities: Mapping[int | str, int | str] | None = None,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> CreditNote:
    """Correct an issued invoice with a numbered credit note: all that remains of it (a
    cancellation) when `quantities` is None, else {invoice line id: days to credit}. A reason is
    required; an invoice being paid, paid or cancelled is not credited here."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().select_related("regie").get(pk=invoice_id)
    reason = (reason or "").strip()
    if not invoice.is_issued:
        raise InvoicingError("Un brouillon se corrige en recalculant la campagne, pas par un avoir.")
    if invoice.status not in CREDITABLE_STATUSES:
        raise InvoicingError(f"Facture « {invoice.get_status_display().lower()} » : pas d'avoir possible.")
    if not reason:
        raise InvoicingError("Le motif de l'avoir est obligatoire.")
    lines = list(invoice.lines.prefetch_related("credit_lines"))
    remaining = {line.pk: line.quantity - sum(c.quantity for c in line.credit_lines.all()) for line in lines}
    wanted = dict(remaining) if quantities is None else {int(k): int(v) for k, v in quantities.items() if int(v)}
    credit_lines = []
    for line in lines:
        quantity = wanted.pop(line.pk, 0)
        if quantity < 0 or quantity > remaining[line.pk]:
            raise InvoicingError(f"« {line.label} » : au plus {remaining[line.pk]} jour(s) à créditer.")
        if quantity == 0:
            continue
        if quantity == remaining[line.pk]:  # the last credit of a line takes what is left, to the cent
            amount = line.amount - sum((c.amount for c in line.credit_lines.all()), ZERO)
        else:
            amount = (line.unit_price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        credit_lines.append(
            CreditNoteLine(invoice_line=line, label=line.label, quantity=quantity, unit_price=line.unit_price, amount=amount)
        )
    if wanted:
        raise InvoicingError("Ligne inconnue sur cette facture.")
    amount = sum((c.amount for c in credit_lines), ZERO)
    if amount <= 0:
        raise InvoicingError("Rien à créditer.")
    issue_date = timezone.localdate(now)
    (sequence,) = next_document_number(regie=invoice.regie, year=issue_date.year, kind=DocumentCounter.Kind.CREDIT_NOTE)
    credited = {c.invoice_line_id: c.quantity for c in credit_lines}
    is_cancellation = all(credited.get(pk, 0) == left for pk, left in remaining.items())
    note = CreditNote.objects.create(
        regie=invoice.regie, invoice=invoice, sequence=sequence, reason=reason, amount=amount, issue_date=issue_date,
        number=format_number(regie=invoice.regie, year=issue_date.year, sequence=sequence, kind=DocumentCounter.Kind.CREDIT_NOTE),
        is_cancellation=is_cancellation, created_by=by,
    )
    for credit_line in credit_lines:
        credit_line.credit_note = note
    CreditNoteLine.objects.bulk_create(credit_lines)
    invoice_settle(invoice_ids=[invoice.pk])
    tasks.enqueue(tasks.render_credit_note_pdf, note.pk, group="invoicing")
    return note


def invoice_settle(*, invoice_ids: Iterable[int]) -> list[Invoice]:
    """The status of issued invoices after any settlement (online or manual payment, credit note),
    from their money alone: « Annulée » only when credit notes cover the whole total, « Payée » when
    payments and credit notes together cover it, else « À payer » (or still « Transmise au Trésor
    public » for a handed-over invoice). Call it inside the transaction
    that settled them; returns the invoices with their new status."""
    invoices = list(Invoice.objects.issued().filter(pk__in=invoice_ids).locked_with_balance().order_by("pk"))
    moves = defaultdict(list)
    for invoice in invoices:
        if invoice.credited_amount > ZERO and invoice.credited_amount >= invoice.total:
            status = Invoice.Status.CANCELLED
        elif invoice.balance <= ZERO:
            status = Invoice.Status.PAID
        elif invoice.is_with_public_accountant:
            status = invoice.status  # still due, to the public accountant now
        else:
            status = Invoice.Status.UNPAID
        if status != invoice.status:
            moves[status].append(invoice.pk)
            invoice.status = status
    for status, ids in moves.items():
        Invoice.objects.filter(pk__in=ids).update(status=status)
    return invoices


# --- review -------------------------------------------------------------------------------------
def previous_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def invoice_run_review(*, run: InvoiceRun, biggest: int = 10) -> dict:
    """What staff check before issuing: totals per activity and household, households new or gone
    since last month's run of the régie, and the biggest changes."""
    invoices = list(run.invoices.select_related("household").prefetch_related("lines__activity"))
    per_activity = defaultdict(lambda: {"quantity": 0, "amount": ZERO})
    for invoice in invoices:
        for line in invoice.lines.all():
            heading = line.get_kind_display() if line.is_fee else line.activity.name
            per_activity[heading]["quantity"] += line.quantity
            per_activity[heading]["amount"] += line.amount
    current = {invoice.household: invoice.total for invoice in invoices}
    previous_run = InvoiceRun.objects.filter(regie=run.regie, month=previous_month(run.month)).first()
    previous = {}
    if previous_run is not None:
        previous = {i.household: i.total for i in previous_run.invoices.select_related("household")}
    changes = [
        {"household": household, "before": previous[household], "after": total, "delta": total - previous[household]}
        for household, total in current.items()
        if household in previous and total != previous[household]
    ]
    changes.sort(key=lambda change: (-abs(change["delta"]), change["household"].reference))
    return {
        "per_activity": sorted(per_activity.items()),
        "per_household": sorted(current.items(), key=lambda item: item[0].reference),
        "previous_run": previous_run,
        "new_households": sorted((h for h in current if h not in previous), key=lambda h: h.reference),
        "gone_households": sorted((h for h in previous if h not in current), key=lambda h: h.reference),
        "biggest_changes": changes[:biggest],
    }

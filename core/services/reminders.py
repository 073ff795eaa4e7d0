"""Reminders of unpaid invoices: each régie's schedule (before and after the due date, the last
with a formal « lettre de relance » PDF), sent once per step by a daily job; staff may send one by
hand. Only an invoice that can still be paid is reminded: Invoice.is_payable decides."""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.constants import CENT, ZERO
from core.emails import queue_email
from core.models import Invoice, InvoiceReminder, Regie, ReminderStep, User
from core.models.billing import MONEY

logger = logging.getLogger("core.reminders")

# A new régie's schedule: 5 days before the due date, 10 and 30 days after it (the last a letter).
DEFAULT_STEPS = ((-5, False), (10, False), (30, True))
# Ages of overdue invoices on the dashboard: (label, first day late, last day late or None).
OVERDUE_AGES = (("0–30 jours", 1, 30), ("31–60 jours", 31, 60), ("plus de 60 jours", 61, None))


class ReminderError(Exception):
    """A refused reminder; the message is French, for staff."""


def reminder_steps_default(*, regie: Regie) -> list[ReminderStep]:
    """Give a régie the default schedule (steps it already has are kept)."""
    return [
        ReminderStep.objects.get_or_create(regie=regie, offset_days=offset, defaults={"with_letter": letter})[0]
        for offset, letter in DEFAULT_STEPS
    ]


def _step_day(invoice, step):
    return invoice.due_date + datetime.timedelta(days=step.offset_days)


def reminders_due(*, today: datetime.date) -> list[tuple[int, int]]:
    """(invoice id, step id) of the reminders to send on `today`: for each payable invoice of a
    household that takes reminders, the latest step whose day has come, unless it or a later one
    was already sent (a late job sends the latest step only, never a burst of stale ones). A step
    whose day came before the invoice was issued is skipped."""
    steps = defaultdict(list)
    for step in ReminderStep.objects.filter(is_active=True).order_by("offset_days"):
        steps[step.regie_id].append(step)
    if not steps:
        return []
    earliest = min(s[0].offset_days for s in steps.values())
    candidates = (
        Invoice.objects.issued().at_regie().with_balance()
        .filter(regie_id__in=steps, household__reminders_disabled=False,
                due_date__lte=today - datetime.timedelta(days=earliest))
        .order_by("due_date", "pk")
    )
    candidates = [invoice for invoice in candidates if invoice.is_payable]
    sent = defaultdict(set)
    for invoice_id, offset in InvoiceReminder.objects.filter(
        invoice__in=[i.pk for i in candidates], step__isnull=False
    ).values_list("invoice_id", "step__offset_days"):
        sent[invoice_id].add(offset)
    due = []
    for invoice in candidates:
        reached = [s for s in steps[invoice.regie_id] if invoice.issue_date <= _step_day(invoice, s) <= today]
        if not reached:
            continue
        latest = reached[-1]
        if any(offset >= latest.offset_days for offset in sent[invoice.pk]):
            continue
        due.append((invoice.pk, latest.pk))
    return due


def reminders_send(*, now: datetime.datetime | None = None) -> list[InvoiceReminder]:
    """The daily job: send every reminder due today; one invoice's failure does not stop the others."""
    now = now or timezone.now()
    sent = []
    for invoice_id, step_id in reminders_due(today=timezone.localdate(now)):
        try:
            reminder = reminder_send(invoice_id=invoice_id, step_id=step_id, now=now)
        except Exception:
            logger.exception("reminder of invoice %s (step %s) failed", invoice_id, step_id)
            continue
        if reminder is not None:
            sent.append(reminder)
    return sent


@transaction.atomic
def reminder_send(
    *,
    invoice_id: int,
    step_id: int | None = None,
    with_letter: bool = False,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> InvoiceReminder | None:
    """Send one reminder of an invoice that can still be paid, logged on the invoice and in the
    email log. A scheduled step is claimed by its unique row, so it is sent once at most (None if
    it was already, or if the invoice was paid or reminders were switched off meanwhile); a manual
    reminder (`step_id` None) is refused with a reason instead."""
    now = now or timezone.now()
    invoice = (
        Invoice.objects.issued().filter(pk=invoice_id).locked_with_balance().select_related("regie", "household").first()
    )
    step = ReminderStep.objects.get(pk=step_id) if step_id is not None else None
    if invoice is None:
        raise ReminderError("Facture introuvable.")
    if not invoice.is_payable:
        if step is not None:
            return None
        raise ReminderError(f"Facture n° {invoice.number} : « {invoice.get_status_display().lower()} », pas de relance.")
    if step is not None and (invoice.household.reminders_disabled or step.regie_id != invoice.regie_id):
        return None
    with_letter = step.with_letter if step is not None else with_letter
    try:
        with transaction.atomic():
            reminder = InvoiceReminder.objects.create(
                invoice=invoice, step=step, with_letter=with_letter, sent_at=now, sent_by=by, balance=invoice.balance
            )
    except IntegrityError:
        return None  # another job sent this step
    attachments = []
    if with_letter:
        from core.pdf import render_reminder_letter_pdf

        name = default_storage.save(
            f"relances/{invoice.regie.invoice_prefix}/{invoice.number}-{reminder.pk}.pdf",
            ContentFile(render_reminder_letter_pdf(reminder=reminder, invoice=invoice, today=timezone.localdate(now))),
        )
        reminder.letter = name
        attachments.append((f"lettre-de-relance-{invoice.number}.pdf", name, "application/pdf"))
    if invoice.pdf:
        attachments.append((f"facture-{invoice.number}.pdf", invoice.pdf.name, "application/pdf"))
    if invoice.payer_email:
        logs = queue_email(
            kind="invoice_reminder",
            recipients=[invoice.payer_email],
            context={
                "invoice": invoice, "balance": invoice.balance, "with_letter": with_letter,
                "before_due": invoice.due_date >= timezone.localdate(now),
            },
            household=invoice.household,
            attachments=attachments,
        )
        reminder.email_log = logs[0]
    else:
        reminder.note = "Pas d'adresse email : relance à envoyer par courrier."
    reminder.save(update_fields=["letter", "email_log", "note"])
    return reminder


def overdue_age_sums(*, today: datetime.date) -> dict:
    """Aggregate expressions, over invoices annotated by with_balance(), of what is still due past
    the due date by age (OVERDUE_AGES): one query with the dashboard's other figures. Read the
    result with overdue_ages()."""
    sums = {}
    for index, (_label, first, last) in enumerate(OVERDUE_AGES):
        condition = Q(due_date__lte=today - datetime.timedelta(days=first))
        if last is not None:
            condition &= Q(due_date__gte=today - datetime.timedelta(days=last))
        sums[f"overdue_age_{index}"] = Coalesce(Sum("balance_due", filter=condition), ZERO, output_field=MONEY)
    return sums


def overdue_ages(figures: dict) -> list[dict]:
    return [
        {"label": label, "amount": Decimal(figures[f"overdue_age_{index}"]).quantize(CENT) + ZERO}
        for index, (label, _first, _last) in enumerate(OVERDUE_AGES)
    ]


def overdue_by_age(*, today: datetime.date) -> list[dict]:
    """What the régie still has to collect on invoices past their due date, by how late they are."""
    return overdue_ages(Invoice.objects.issued().at_regie().with_balance().aggregate(**overdue_age_sums(today=today)))


@transaction.atomic
def household_set_reminders(*, household_id: int, enabled: bool, by: User | None = None) -> bool:
    """Switch a household's scheduled reminders on or off (staff may still send one by hand);
    the change is kept in the household's history. Returns the new state."""
    from core.models import Household

    household = Household.objects.select_for_update().get(pk=household_id)
    if household.reminders_disabled == (not enabled):
        return enabled
    household.reminders_disabled = not enabled
    household._history_user = by
    household.save(update_fields=["reminders_disabled"])
    return enabled

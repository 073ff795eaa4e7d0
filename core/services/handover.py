"""Hand-over of unpaid invoices to the public accountant (Trésor public): the régisseur selects
overdue invoices of one régie; each passes to « Transmise au Trésor public » (no longer payable
at the régie, online or at the desk), and the batch yields the « état des restes à recouvrer »
spreadsheet (columns documented in docs/transmission-tresor-public.md) and a ZIP of the PDFs.
There is no undo: a handed-over invoice is corrected or cancelled by a credit note."""

import datetime
import io
import re
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.constants import ZERO
from core.models import HandoverBatch, HandoverItem, Invoice, InvoiceReminder, User
from core.services.invoicing import invoice_store_pdf

# The spreadsheet's columns, in order (docs/transmission-tresor-public.md describes each one).
SPREADSHEET_COLUMNS = (
    "Régie",
    "N° de facture",
    "Date d'émission",
    "Date d'échéance",
    "Période du",
    "Période au",
    "Référence du foyer",
    "Redevable",
    "Adresse",
    "Code postal",
    "Commune",
    "Email",
    "Montant de la facture",
    "Déjà réglé ou crédité",
    "Reste à recouvrer",
    "Relances envoyées",
    "Dernière relance",
)
SPREADSHEET_TITLE = "État des restes à recouvrer"
_TOWN_LINE = re.compile(r"^(\d{5})\s+(.+)$")


class HandoverError(Exception):
    """A refused hand-over; the message is French, for staff."""


def split_address(address: str) -> tuple[str, str, str]:
    """A printed address to (street lines, postal code, town): the last line « 59270 Valbourg »
    gives the last two; anything else stays whole in the first."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if lines and (match := _TOWN_LINE.match(lines[-1])):
        return ", ".join(lines[:-1]), match.group(1), match.group(2)
    return ", ".join(lines), "", ""


@transaction.atomic
def handover_create(*, invoice_ids, by: User, now: datetime.datetime | None = None) -> HandoverBatch:
    """Hand the selected invoices to the public accountant. Each must be payable (issued, due,
    not being paid) and past its due date, and all of one régie; the batch records who, when,
    which invoices and what was due, then its spreadsheet and ZIP are built."""
    now = now or timezone.now()
    try:
        ids = sorted({int(value) for value in invoice_ids})
    except (TypeError, ValueError) as error:
        raise HandoverError("Facture introuvable.") from error
    if not ids:
        raise HandoverError("Sélectionnez au moins une facture à transmettre.")
    invoices = list(
        Invoice.objects.issued().filter(pk__in=ids).locked_with_balance().select_related("regie").order_by("number")
    )
    if len(invoices) != len(ids):
        raise HandoverError("Facture introuvable.")
    if len({invoice.regie_id for invoice in invoices}) > 1:
        raise HandoverError("Ces factures relèvent de régies différentes : une transmission par régie.")
    today = timezone.localdate(now)
    for invoice in invoices:
        if not invoice.is_payable:
            raise HandoverError(
                f"Facture n° {invoice.number} : « {invoice.get_status_display().lower()} », elle ne peut pas être transmise."
            )
        if invoice.due_date >= today:
            raise HandoverError(f"Facture n° {invoice.number} : pas encore échue (échéance le {invoice.due_date:%d/%m/%Y}).")
    reminders = dict(
        InvoiceReminder.objects.filter(invoice__in=ids).values("invoice").annotate(n=Count("pk")).values_list("invoice", "n")
    )
    batch = HandoverBatch.objects.create(
        regie=invoices[0].regie, created_at=now, created_by=by, invoice_count=len(invoices),
        total_due=sum((invoice.balance for invoice in invoices), ZERO),
    )
    HandoverItem.objects.bulk_create(
        HandoverItem(batch=batch, invoice=invoice, amount_due=invoice.balance, reminders_sent=reminders.get(invoice.pk, 0))
        for invoice in invoices
    )
    Invoice.objects.filter(pk__in=ids).update(status=Invoice.Status.TRANSMITTED)
    _store_files(batch)
    return batch


def _rows(batch):
    items = batch.items.select_related("invoice__regie").order_by("invoice__number")
    last_reminders = dict(
        InvoiceReminder.objects.filter(invoice__handover_item__batch=batch)
        .order_by("invoice", "sent_at").values_list("invoice", "sent_at")
    )
    for item in items:
        invoice = item.invoice
        street, postal_code, town = split_address(invoice.payer_address)
        last = last_reminders.get(invoice.pk)
        yield [
            invoice.regie.name, invoice.number, invoice.issue_date, invoice.due_date, invoice.period_start,
            invoice.period_end, invoice.household_reference, invoice.payer_name, street, postal_code, town,
            invoice.payer_email, invoice.total, invoice.total - item.amount_due, item.amount_due, item.reminders_sent,
            timezone.localdate(last) if last else None,
        ]


def handover_spreadsheet(*, batch: HandoverBatch) -> bytes:
    """The « état des restes à recouvrer » of a batch, as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Restes à recouvrer"
    sheet.append(SPREADSHEET_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(batch):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
        for column in (13, 14, 15):
            sheet.cell(row=sheet.max_row, column=column).number_format = "#,##0.00"
    sheet.append([])
    sheet.append(["Total", None, None, None, None, None, None, f"{batch.invoice_count} facture(s)", None, None, None,
                  None, None, None, batch.total_due])
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def handover_archive(*, batch: HandoverBatch) -> bytes:
    """The PDFs of a batch's invoices in one ZIP (a missing PDF is rendered and stored first)."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in batch.items.select_related("invoice").order_by("invoice__number"):
            invoice = item.invoice if item.invoice.pdf else invoice_store_pdf(invoice_id=item.invoice_id)
            with invoice.pdf.open("rb") as handle:
                archive.writestr(f"facture-{invoice.number}.pdf", handle.read())
    return output.getvalue()


def _store_files(batch):
    stem = f"transmissions/{batch.regie.invoice_prefix}/{batch.created_at:%Y}/transmission-{batch.pk}"
    batch.spreadsheet = default_storage.save(f"{stem}-restes-a-recouvrer.xlsx", ContentFile(handover_spreadsheet(batch=batch)))
    batch.archive = default_storage.save(f"{stem}-factures.zip", ContentFile(handover_archive(batch=batch)))
    batch.save(update_fields=["spreadsheet", "archive"])

"""SEPA debit files (pain.008 through sepaxml), their life (generated → sent → confirmed) and the
bank's rejects (R-transactions)."""

import datetime
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from sepaxml import SepaDD
from sepaxml.validation import try_valid_xml

from core.constants import ZERO
from core.emails import queue_email
from core.models import DebitBatch, DirectDebit, Invoice, Mandate, Payment, PaymentAllocation, Regie, User
from core.services.invoicing import invoice_settle
from core.services.mandates import _same_bank
from core.services.reject_fees import reject_fee_for

PAIN_SCHEMA = "pain.008.001.02"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_SCHEMA}"

# R-transaction reason codes (ISO 20022 / EPC), as the family and staff read them.
REJECT_REASONS = {
    "AC01": "IBAN incorrect",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AG01": "Prélèvement interdit sur ce compte",
    "AG02": "Code opération incorrect",
    "AM04": "Provision insuffisante",
    "AM05": "Opération en double",
    "BE05": "Identifiant du créancier incorrect",
    "MD01": "Pas de mandat",
    "MD02": "Mandat incomplet ou incorrect",
    "MD06": "Remboursement demandé par le débiteur",
    "MD07": "Débiteur décédé",
    "MS02": "Refus du débiteur",
    "MS03": "Raison non communiquée par la banque",
    "RC01": "BIC incorrect",
    "RR01": "Identification du débiteur manquante",
    "SL01": "Service spécifique de la banque du débiteur",
}


class DirectDebitError(Exception):
    """A refused debit action; the message is French, for staff."""


def _who(by):
    return (by.get_full_name() or by.email) if by else "la régie"


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _pain008(*, regie: Regie, debits: list[DirectDebit]) -> tuple[bytes, str]:
    """The pain.008.001.02 document of these debits (one payment block per sequence type), with
    amendments carried in the mandate details; validated against the XSD sepaxml ships."""
    config = {
        "name": regie.name, "IBAN": regie.sepa_creditor_iban, "batch": True,
        "creditor_id": regie.sepa_creditor_id, "currency": "EUR",
    }
    if regie.sepa_creditor_bic:
        config["BIC"] = regie.sepa_creditor_bic
    sepa = _AmendingSepaDD(config, schema=PAIN_SCHEMA)
    for debit in debits:
        mandate = debit.mandate
        payment = {
            "name": mandate.holder_name, "IBAN": mandate.iban, "amount": _cents(debit.amount),
            "type": debit.sequence_type, "collection_date": debit.debit_date,
            "mandate_id": mandate.rum, "mandate_date": mandate.signed_on,
            "description": f"Facture {debit.invoice.number} {regie.name}", "endtoend_id": debit.end_to_end_id,
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        if mandate.original_iban:
            payment["amendment"] = {
                "other_bank": not _same_bank(mandate.original_iban, mandate.iban), "iban": mandate.original_iban
            }
        sepa.add_payment(payment)
    return sepa.export(validate=True), sepa.msg_id


class _AmendingSepaDD(SepaDD):
    """sepaxml's pain.008 writer, plus the amendment details (AmdmntInd, AmdmntInfDtls) of a
    mandate whose account changed, which sepaxml has no field for."""

    def check_config(self, config):
        # pain.008.001.02 lets the creditor agent be unidentified (no BIC): sepaxml insists on one.
        return super().check_config({"BIC": "", **config})

    def _add_batch(self, TX_nodes, payment):
        amendment = payment.get("amendment")
        if amendment:
            indicator = ET.Element("AmdmntInd")
            indicator.text = "true"
            details = ET.Element("AmdmntInfDtls")
            if amendment["other_bank"]:
                agent = ET.SubElement(ET.SubElement(details, "OrgnlDbtrAgt"), "FinInstnId")
                ET.SubElement(ET.SubElement(agent, "Othr"), "Id").text = "SMNDA"
            else:
                account = ET.SubElement(ET.SubElement(details, "OrgnlDbtrAcct"), "Id")
                ET.SubElement(account, "IBAN").text = amendment["iban"]
            super()._add_batch(TX_nodes, payment)
            TX_nodes["MndtRltdInfNode"].append(indicator)
            TX_nodes["MndtRltdInfNode"].append(details)
            return None
        return super()._add_batch(TX_nodes, payment)


def pain008_validate(content: bytes) -> None:
    """Validate a pain.008.001.02 document against the schema sepaxml ships (raises otherwise)."""
    try_valid_xml(content, PAIN_SCHEMA)


@transaction.atomic
def debit_batch_create(
    *, regie: Regie, debit_date: datetime.date, by: User | None = None, now: datetime.datetime | None = None
) -> DebitBatch:
    """Gather the régie's scheduled debits due on that date into one pain.008 file: amounts are
    what each invoice still owes (a debit whose invoice is settled meanwhile is cancelled), FRST
    for a mandate's first debit or after a change of bank, RCUR after."""
    now = now or timezone.now()
    if not regie.offers_direct_debit:
        raise DirectDebitError(f"{regie} n'a pas d'identifiant créancier SEPA ou de compte : complétez la régie.")
    debits = list(
        DirectDebit.objects.select_for_update(of=("self",))
        .filter(invoice__regie=regie, debit_date=debit_date, status=DirectDebit.Status.SCHEDULED, batch__isnull=True)
        .select_related("mandate", "invoice")
        .order_by("invoice__number")
    )
    balances = {
        i.pk: i for i in Invoice.objects.filter(pk__in=[d.invoice_id for d in debits]).locked_with_balance()
    }
    kept = []
    for debit in debits:
        invoice = balances[debit.invoice_id]
        if invoice.status != Invoice.Status.UNPAID or invoice.balance <= ZERO or debit.mandate.status != Mandate.Status.ACTIVE:
            debit.status = DirectDebit.Status.CANCELLED
            debit.save(update_fields=["status"])
            continue
        debit.amount = invoice.balance
        debit.invoice = invoice
        kept.append(debit)
    if not kept:
        raise DirectDebitError(f"Aucun prélèvement à transmettre pour le {debit_date:%d/%m/%Y}.")
    batch = DebitBatch.objects.create(regie=regie, debit_date=debit_date, created_at=now, created_by=by)
    for debit in kept:
        debit.batch = batch
        debit.sequence_type = debit.mandate.sequence_type
        debit.end_to_end_id = f"{debit.invoice.number}-{debit.pk}"[:35]
    content, message_id = _pain008(regie=regie, debits=kept)
    DirectDebit.objects.bulk_update(kept, ["batch", "sequence_type", "end_to_end_id", "amount"])
    batch.message_id = message_id[:35]
    batch.debit_count = len(kept)
    batch.total = sum((d.amount for d in kept), ZERO)
    batch.file.save(f"{regie.invoice_prefix}-{debit_date:%Y%m%d}-{batch.pk}.xml", ContentFile(content), save=False)
    batch.save()
    return batch


@transaction.atomic
def debit_batch_mark_sent(*, batch_id: int, by: User | None = None, now: datetime.datetime | None = None) -> DebitBatch:
    """Staff sent the file to the bank: its invoices become « Prélèvement en cours », each mandate
    has been used (next debit RCUR) and its amendment has been carried."""
    now = now or timezone.now()
    batch = DebitBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != DebitBatch.Status.GENERATED:
        raise DirectDebitError("Ce lot a déjà été transmis.")
    debits = list(batch.debits.filter(status=DirectDebit.Status.SCHEDULED).select_related("mandate"))
    DirectDebit.objects.filter(pk__in=[d.pk for d in debits]).update(status=DirectDebit.Status.SENT)
    Invoice.objects.filter(pk__in=[d.invoice_id for d in debits], status=Invoice.Status.UNPAID).update(
        status=Invoice.Status.DIRECT_DEBIT_IN_PROGRESS
    )
    Mandate.objects.filter(pk__in=[d.mandate_id for d in debits]).update(
        needs_first=False, original_iban="", original_bic="", last_debit_on=batch.debit_date
    )
    batch.status, batch.sent_at, batch.sent_by = DebitBatch.Status.SENT, now, by
    batch.save()
    return batch


@transaction.atomic
def debit_batch_confirm(*, batch_id: int, by: User | None = None, now: datetime.datetime | None = None) -> DebitBatch:
    """The bank collected the batch: each debit not rejected becomes a « prélèvement » payment
    allocated to its invoice, whose status invoice_settle then decides."""
    now = now or timezone.now()
    batch = DebitBatch.objects.select_for_update().select_related("regie").get(pk=batch_id)
    if batch.status != DebitBatch.Status.SENT:
        raise DirectDebitError("Seul un lot transmis à la banque peut être confirmé.")
    debits = list(batch.debits.filter(status=DirectDebit.Status.SENT).select_related("invoice", "mandate"))
    list(Invoice.objects.filter(pk__in=[d.invoice_id for d in debits]).locked_with_balance())
    for debit in debits:
        payment = Payment.objects.create(
            household_id=debit.invoice.household_id, regie=batch.regie,
            method=Payment.Method.DIRECT_DEBIT, status=Payment.Status.PAID, amount=debit.amount,
            reference=f"{debit.mandate.rum} {debit.end_to_end_id}"[:100], received_on=batch.debit_date,
            recorded_by=by, created_at=now, concluded_at=now,
        )
        PaymentAllocation.objects.create(payment=payment, invoice=debit.invoice, amount=debit.amount)
        payment.log("direct_debit", f"Prélèvement du {batch.debit_date:%d/%m/%Y} confirmé par {_who(by)}.")
        debit.payment, debit.status = payment, DirectDebit.Status.COLLECTED
        debit.save(update_fields=["payment", "status"])
    invoice_settle(invoice_ids=[d.invoice_id for d in debits])
    batch.status, batch.confirmed_at, batch.confirmed_by = DebitBatch.Status.CONFIRMED, now, by
    batch.save()
    return batch


def debit_batches_confirm_due(*, now: datetime.datetime | None = None) -> list[int]:
    """For régies that chose it, a sent batch is confirmed on its debit date (each in its own
    transaction). Returns the confirmed batches' ids."""
    now = now or timezone.now()
    due = DebitBatch.objects.filter(
        status=DebitBatch.Status.SENT, regie__sepa_auto_confirm=True, debit_date__lte=timezone.localdate(now)
    ).order_by("debit_date", "pk")
    confirmed = []
    for batch_id in due.values_list("pk", flat=True):
        try:
            debit_batch_confirm(batch_id=batch_id, now=now)
        except DirectDebitError:  # confirmed meanwhile by staff
            continue
        confirmed.append(batch_id)
    return confirmed


@transaction.atomic
def direct_debit_reject(
    *, debit_id: int, code: str, by: User | None = None, now: datetime.datetime | None = None
) -> DirectDebit:
    """The bank rejected or returned one debit: the invoice is « à payer » again and offered for
    card payment (a collected debit's payment is refused), the régie's fee is noted for the next
    invoice (core.services.reject_fees), the family is told why by email, and the mandate is suspended after the régie's number of rejects."""
    now = now or timezone.now()
    if code not in REJECT_REASONS:
        raise DirectDebitError("Motif de rejet inconnu.")
    debit = (
        DirectDebit.objects.select_for_update(of=("self",)).select_related("mandate__regie", "invoice", "payment").get(pk=debit_id)
    )
    if debit.status not in (DirectDebit.Status.SENT, DirectDebit.Status.COLLECTED):
        raise DirectDebitError("Seul un prélèvement transmis ou encaissé peut être rejeté.")
    list(Invoice.objects.filter(pk=debit.invoice_id).locked_with_balance())
    if debit.payment is not None:
        Payment.objects.filter(pk=debit.payment_id).update(status=Payment.Status.REFUSED, error=REJECT_REASONS[code])
        debit.payment.log("direct_debit_reject", f"Prélèvement rejeté ({code} : {REJECT_REASONS[code]}), saisi par {_who(by)}.")
    mandate = Mandate.objects.select_for_update().get(pk=debit.mandate_id)
    regie = mandate.regie
    debit.status, debit.reject_code, debit.rejected_at = DirectDebit.Status.REJECTED, code, now
    debit.reject_fee = reject_fee_for(regie=regie, code=code)  # billed on the next invoice
    debit.save(update_fields=["status", "reject_code", "rejected_at", "reject_fee"])
    # Leave « Prélèvement en cours » first, so the settlement decides from the money alone.
    Invoice.objects.filter(pk=debit.invoice_id, status=Invoice.Status.DIRECT_DEBIT_IN_PROGRESS).update(
        status=Invoice.Status.UNPAID
    )
    invoice_settle(invoice_ids=[debit.invoice_id])
    mandate.reject_count += 1
    if mandate.status == Mandate.Status.ACTIVE and mandate.reject_count >= regie.sepa_max_rejects:
        mandate.status = Mandate.Status.SUSPENDED
        mandate.end_reason = f"Suspendu après {mandate.reject_count} rejets."
        DirectDebit.objects.filter(mandate=mandate, status=DirectDebit.Status.SCHEDULED).update(
            status=DirectDebit.Status.CANCELLED
        )
    mandate.save()
    invoice = Invoice.objects.select_related("household").get(pk=debit.invoice_id)
    if invoice.payer_email:
        queue_email(
            kind="direct_debit_rejected",
            recipients=[invoice.payer_email],
            context={
                "invoice": invoice, "debit": debit, "reason": REJECT_REASONS[code], "code": code,
                "fee": debit.reject_fee, "mandate_suspended": mandate.status == Mandate.Status.SUSPENDED,
            },
            household=invoice.household,
        )
    return debit


def rejects_count_by_code(*, since: datetime.date) -> Counter:
    return Counter(
        DirectDebit.objects.filter(status=DirectDebit.Status.REJECTED, rejected_at__date__gte=since).values_list(
            "reject_code", flat=True
        )
    )

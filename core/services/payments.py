"""Payments: online attempts through PayFiP (start, notification, result fetch, reconciliation)
and manual payments recorded by staff. Invoices' balances and statuses follow settled payments.

PayFiP's detail answer is the only source of truth: a notification or a browser coming back
only triggers a fetch of it, under a row lock on our attempt, so nothing happens twice.
"""

import datetime
import logging
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import tasks
from core.constants import CENT, ZERO
from core.emails import queue_email
from core.models import Guardian, Household, Invoice, Payment, PaymentAllocation, User
from core.models.payments import ATTEMPT_HOLD, LATE_RESULT_WATCH
from core.payfip import (
    Outcome,
    PayfipError,
    ResultNotYetKnown,
    UnknownOperation,
    get_backend,
    refdet_from,
)
from core.services.invoicing import invoice_settle

logger = logging.getLogger("core.payments")

ONLINE_MINIMUM = Decimal("1.00")  # PayFiP refuses less than 1 €
OUTCOME_STATUSES = {
    Outcome.PAID: Payment.Status.PAID,
    Outcome.REFUSED: Payment.Status.REFUSED,
    Outcome.ABANDONED: Payment.Status.ABANDONED,
    Outcome.ERROR: Payment.Status.ERROR,
}


class PaymentError(Exception):
    """A refused payment action; the message is French, fit for the parent or staff."""


class InvoiceNotFound(PaymentError):
    """An invoice id that is not one of the household's issued invoices (the portal answers 404)."""


def _enqueue_check(payment_id):
    tasks.enqueue(tasks.check_payment, payment_id, group="payments")


def _site_url(name, payment):
    return settings.SITE_URL + reverse(name, args=[payment.uuid])


# --- starting an online payment -----------------------------------------------------------------
def payment_start(*, guardian: Guardian, invoice_ids: Iterable[int], now: datetime.datetime | None = None) -> Payment:
    """Pay the selected invoices of the guardian's household online: they must be issued, due, of
    one régie and not held by an attempt in flight; the amount is what is due. Returns the attempt,
    with `payment_url` (the PayFiP page) set. The call to PayFiP happens between two transactions:
    the first reserves the invoices (row locks, so two starts make one attempt), the second records
    PayFiP's answer; if PayFiP fails, the attempt is an error and the invoices are payable again."""
    now = now or timezone.now()
    ids = _parse_ids(invoice_ids)
    _resolve_stale_attempts(household=guardian.household, invoice_ids=ids, now=now)
    payment, invoices = _reserve_invoices(guardian=guardian, invoice_ids=ids, now=now)
    numbers = " ".join(invoice.number for invoice in invoices)
    try:
        created = get_backend(regie=payment.regie).create_payment(
            refdet=payment.refdet,
            montant=payment.amount_cents,
            mel=payment.payer_email,
            objet=f"{'Facture' if len(invoices) == 1 else 'Factures'} {numbers}",
            urlnotif=_site_url("portail:payment_notification", payment),
            urlredirect=_site_url("portail:payment_return", payment),
            now=now,
        )
    except PayfipError as error:
        logger.warning("payment %s: PayFiP refused the start: %s", payment.pk, error)
        _fail_start(payment_id=payment.pk, error=error, now=now)
        raise PaymentError(
            "Le paiement en ligne est momentanément indisponible, vos factures restent à payer : "
            f"réessayez dans quelques minutes. ({error})"
        ) from error
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(idop=created.idop)
        payment.idop = created.idop
        payment.log("started", "Paiement créé chez PayFiP, payeur redirigé vers la page de paiement.", idop=created.idop)
    payment.payment_url = created.payment_url
    return payment


def _parse_ids(invoice_ids):
    try:
        ids = sorted({int(value) for value in invoice_ids})
    except (TypeError, ValueError) as error:
        raise InvoiceNotFound("Facture introuvable.") from error
    if not ids:
        raise PaymentError("Sélectionnez au moins une facture à payer.")
    return ids


def _resolve_stale_attempts(*, household, invoice_ids, now):
    """An attempt older than the hold no longer blocks: ask PayFiP how it ended before going on."""
    stale = (
        Payment.objects.in_flight()
        .filter(household=household, allocations__invoice_id__in=invoice_ids, created_at__lte=now - ATTEMPT_HOLD)
        .values_list("pk", flat=True)
        .distinct()
    )
    for payment_id in list(stale):
        payment_check(payment_id=payment_id, now=now, source="start")


@transaction.atomic
def _reserve_invoices(*, guardian, invoice_ids, now):
    household = guardian.household
    invoices = list(
        Invoice.objects.issued().filter(household=household, pk__in=invoice_ids).locked_with_balance()
        .select_related("regie").order_by("pk")
    )
    if len(invoices) != len(invoice_ids):
        raise InvoiceNotFound("Facture introuvable.")
    for invoice in invoices:
        if invoice.status == Invoice.Status.PAYMENT_IN_PROGRESS:
            raise PaymentError(
                f"La facture n° {invoice.number} a un paiement en cours : réessayez dans quelques minutes."
            )
        if not invoice.is_payable:
            raise PaymentError(f"La facture n° {invoice.number} n'est plus à payer.")
    if len({invoice.regie_id for invoice in invoices}) > 1:
        raise PaymentError("Ces factures relèvent de régies différentes : payez-les séparément.")
    regie = invoices[0].regie
    balances = {invoice.pk: invoice.balance for invoice in invoices}
    amount = sum(balances.values(), ZERO)
    if amount < ONLINE_MINIMUM:
        raise PaymentError("Le paiement en ligne demande au moins 1 € : réglez ce montant auprès de la régie.")
    email = guardian.email or (guardian.user.email if guardian.user_id else "")
    if not email:
        raise PaymentError("Votre compte n'a pas d'adresse email : PayFiP en demande une pour le ticket de paiement.")
    payment = Payment.objects.create(
        household=household, regie=regie, guardian=guardian, payer_email=email, method=Payment.Method.ONLINE,
        amount=amount, numcli=regie.payfip_numcli, created_at=now,
    )
    # One invoice: its number is the debt reference. Several: a reference of the attempt itself.
    payment.refdet = (
        refdet_from(invoices[0].number) if len(invoices) == 1 else refdet_from(regie.invoice_prefix, "P", f"{payment.pk:09d}")
    )
    payment.save(update_fields=["refdet"])
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(payment=payment, invoice=invoice, amount=balances[invoice.pk]) for invoice in invoices
    )
    Invoice.objects.filter(pk__in=balances).update(status=Invoice.Status.PAYMENT_IN_PROGRESS)
    payment.log(
        "created",
        f"Paiement en ligne de {amount} € demandé par {guardian.display_name}.",
        invoices=[invoice.number for invoice in invoices],
        refdet=payment.refdet,
    )
    return payment, invoices


@transaction.atomic
def _fail_start(*, payment_id, error, now):
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.is_in_flight:
        _conclude(payment, Payment.Status.ERROR, now=now, message=f"PayFiP n'a pas créé le paiement : {error}",
                  error=str(error), notify=False)


# --- notification, return and reconciliation ------------------------------------------------------
@transaction.atomic
def payment_notify(*, payment_uuid: uuid.UUID | str, fields: Mapping[str, str], now: datetime.datetime | None = None) -> Payment | None:
    """A PayFiP notification carries no proof: record it and enqueue a fetch of the result (also
    for an attempt given up on that PayFiP may still conclude)."""
    now = now or timezone.now()
    payment = Payment.objects.select_for_update().filter(uuid=payment_uuid, method=Payment.Method.ONLINE).first()
    if payment is None:
        logger.warning("notification for an unknown payment %s: %s", payment_uuid, fields)
        return None
    idop = next((value for key, value in fields.items() if key.lower() == "idop"), "")
    payment.log("notification", "Notification de PayFiP reçue.", idop=idop[:64], matches=idop == payment.idop)
    if payment.awaits_payfip(now=now):
        _enqueue_check(payment.pk)
    return payment


def payment_check(*, payment_id: int, now: datetime.datetime | None = None, source: str = "reconciliation") -> Payment:
    """Fetch an attempt's result from PayFiP, the only source of truth, and conclude it once:
    amount, refdet and numcli must match (and saisie=T is refused in production) before it is paid;
    a result still unknown past the hold, or an idop PayFiP forgot, means the attempt expired."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("regie").get(pk=payment_id)
        if payment.is_watched(now=now):
            return _check_late(payment, now=now, source=source)
        if not payment.is_in_flight:
            return payment
        old = now - payment.created_at >= ATTEMPT_HOLD
        if not payment.idop:  # the start never got PayFiP's answer
            if old:
                _conclude(payment, Payment.Status.EXPIRED, now=now, message="Paiement jamais créé chez PayFiP.")
            return payment
        payment.last_checked_at, payment.check_count = now, payment.check_count + 1
        payment.save(update_fields=["last_checked_at", "check_count"])
        try:
            detail = get_backend(regie=payment.regie).get_payment_detail(payment.idop)
        except ResultNotYetKnown:
            if old:
                _conclude(payment, Payment.Status.EXPIRED, now=now, message="Résultat toujours inconnu de PayFiP : expiré.")
            else:
                payment.log("pending", f"Résultat pas encore connu de PayFiP ({source}).")
            return payment
        except UnknownOperation:
            _conclude(payment, Payment.Status.EXPIRED, now=now, message="PayFiP ne connaît plus ce paiement : expiré.",
                      watch=False)
            return payment
        except PayfipError as error:
            if error.retryable or not old:
                payment.log("check_failed", f"Interrogation de PayFiP impossible ({source}) : {error}")
            else:
                _conclude(payment, Payment.Status.ERROR, now=now, message=str(error), error=str(error))
            return payment
        _record_detail(payment, detail)
        status = OUTCOME_STATUSES[detail.outcome]
        problems = _mismatches(payment, detail)
        settled = _already_settled(payment) if status == Payment.Status.PAID and not problems else []
        if status == Payment.Status.PAID and problems:
            _flag_mismatch(payment, problems, now=now)
        elif status == Payment.Status.PAID and settled:
            _flag_overpayment(payment, settled, now=now)
        else:
            _conclude(payment, status, now=now, message=f"Résultat PayFiP {detail.resultrans or '?'} ({source}).")
        return payment


def _check_late(payment, *, now, source):
    """Ask PayFiP again about an attempt given up on (expired or abandoned): its payer's operation
    may still end paid. A late payment settles its invoices, or, when they were settled meanwhile
    (another attempt, the desk), is flagged for a refund. Watching stops at PayFiP's final answer
    or when it purged the operation (P1). Called under the attempt's row lock."""
    payment.last_checked_at, payment.check_count = now, payment.check_count + 1
    payment.save(update_fields=["last_checked_at", "check_count"])
    try:
        detail = get_backend(regie=payment.regie).get_payment_detail(payment.idop)
    except ResultNotYetKnown:
        return payment
    except UnknownOperation:
        _stop_watching(payment, "PayFiP a purgé l'opération : plus aucun résultat à attendre.")
        return payment
    except PayfipError as error:
        if not error.retryable:
            payment.log("check_failed", f"Interrogation de PayFiP impossible ({source}) : {error}")
        return payment
    status = OUTCOME_STATUSES[detail.outcome]
    if status == Payment.Status.ABANDONED:
        return payment  # the payer's operation is still alive at PayFiP: it may yet be paid
    _record_detail(payment, detail)
    if status != Payment.Status.PAID:
        payment.status = status
        _stop_watching(payment, f"Résultat PayFiP {detail.resultrans or '?'} connu après coup ({source}).")
        return payment
    payment.watch_until = None
    problems = _mismatches(payment, detail)
    if problems:
        _flag_mismatch(payment, problems, now=now)
        return payment
    settled = _already_settled(payment)
    if settled:
        _flag_overpayment(payment, settled, now=now)
        return payment
    payment.log("late_result", f"PayFiP a conclu le paiement après qu'il a été donné pour {payment.get_status_display().lower()}.")
    _conclude(payment, Payment.Status.PAID, now=now, message=f"Résultat PayFiP {detail.resultrans} connu après coup ({source}).")
    return payment


def _stop_watching(payment, message):
    payment.watch_until = None
    payment.save()
    payment.log("watch_ended", message)


def _record_detail(payment, detail):
    payment.resultrans = detail.resultrans[:2]
    payment.numauto = detail.numauto[:20]
    payment.saisie = detail.saisie[:1]
    payment.transaction_at = detail.transaction_at
    payment.detail = {
        "idop": detail.idop, "resultrans": detail.resultrans, "montant": detail.montant, "refdet": detail.refdet,
        "numcli": detail.numcli, "saisie": detail.saisie, "mel": detail.mel, "objet": detail.objet,
        "exer": detail.exer, "numauto": detail.numauto,
        "transaction_at": detail.transaction_at.isoformat() if detail.transaction_at else "",
    }
    payment.log("detail", f"Détail reçu de PayFiP : résultat {detail.resultrans or '?'}.", **payment.detail)


def _mismatches(payment, detail):
    problems = []
    if detail.montant != payment.amount_cents:
        problems.append(f"montant {detail.montant} centimes au lieu de {payment.amount_cents}")
    if detail.refdet != payment.refdet:
        problems.append(f"référence {detail.refdet!r} au lieu de {payment.refdet!r}")
    if detail.numcli != payment.numcli:
        problems.append(f"numcli {detail.numcli!r} au lieu de {payment.numcli!r}")
    if detail.is_test and settings.PAYFIP_SAISIE == "W":
        problems.append("paiement de test (saisie T) alors que le site est en production")
    return problems


def _already_settled(payment):
    """A paid answer must not pay an invoice twice (e.g. settled by staff meanwhile), nor one the
    régie no longer collects: handed over to the public accountant, it is owed to the Trésor."""
    problems = []
    for allocation in payment.allocations.select_related("invoice"):
        invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
        if invoice.status == Invoice.Status.CANCELLED or invoice.balance < allocation.amount:
            problems.append(f"la facture n° {invoice.number} est déjà réglée ou annulée : remboursement à prévoir")
        elif invoice.status in Invoice.WITH_PUBLIC_ACCOUNTANT_STATUSES:
            problems.append(
                f"la facture n° {invoice.number} a été transmise au comptable public entre-temps : "
                "remboursement à prévoir (le payeur règle le Trésor public)"
            )
    return problems


def _flag_overpayment(payment, problems, *, now):
    """PayFiP took the money for invoices settled meanwhile: never allocated, to refund."""
    payment.refund_due = True
    _flag_mismatch(payment, [*problems, f"{payment.amount} € à rembourser au payeur"], now=now)


def _flag_mismatch(payment, problems, *, now):
    message = "Paiement PayFiP non conforme, à vérifier : " + " ; ".join(problems) + "."
    logger.error("payment %s: %s", payment.pk, message)
    payment.mismatch = message
    _conclude(payment, Payment.Status.MISMATCH, now=now, message=message, notify=False)


def _conclude(payment, status, *, now, message, error="", notify=True, watch=True):
    """Move an attempt to its final state, release (if it held them) or settle its invoices, email
    the payer. An attempt given up on (expired, abandoned) is watched for a late result unless
    `watch` is off (PayFiP purged it)."""
    held_invoices = payment.is_in_flight  # once given up on, a hold on its invoices is another attempt's
    payment.status, payment.concluded_at = status, now
    payment.error = error or payment.error
    if watch and status in Payment.WATCHED_STATUSES and payment.idop and payment.watch_until is None:
        payment.watch_until = payment.created_at + LATE_RESULT_WATCH
    payment.save()
    payment.log(status, message)
    invoice_ids = list(payment.allocations.values_list("invoice_id", flat=True))
    if status == Payment.Status.PAID:
        _settle_invoices(invoice_ids)
        if notify:
            _send_ticket(payment)
    elif held_invoices:
        Invoice.objects.filter(pk__in=invoice_ids, status=Invoice.Status.PAYMENT_IN_PROGRESS).update(
            status=Invoice.Status.UNPAID
        )
        if notify and payment.idop:
            _send_failure(payment)


def _settle_invoices(invoice_ids):
    """Paid attempts and manual payments settle their invoices by the one rule of invoice_settle."""
    invoice_settle(invoice_ids=invoice_ids)


def _email_context(payment):
    invoices = [a.invoice for a in payment.allocations.select_related("invoice").order_by("invoice__number")]
    transaction_at = timezone.localtime(payment.transaction_at or payment.concluded_at or payment.created_at)
    return {"payment": payment, "invoices": invoices, "transaction_at": transaction_at}


def _send_ticket(payment):
    queue_email(kind="payment_ticket", recipients=[payment.payer_email], context=_email_context(payment),
                household=payment.household)


def _send_failure(payment):
    queue_email(kind="payment_failed", recipients=[payment.payer_email], context=_email_context(payment),
                household=payment.household)


def payments_reconcile(*, now: datetime.datetime | None = None) -> list[int]:
    """Re-poll every attempt still in flight, and those given up on that PayFiP may still conclude,
    so neither a lost notification nor a late result loses a payment."""
    now = now or timezone.now()
    checked = []
    attempts = Payment.objects.in_flight() | Payment.objects.watched(now=now)
    for payment_id in list(attempts.order_by("created_at").values_list("pk", flat=True)):
        try:
            payment_check(payment_id=payment_id, now=now, source="rapprochement")
        except Exception:  # one broken attempt must not stop the others
            logger.exception("reconciliation of payment %s failed", payment_id)
        else:
            checked.append(payment_id)
    return checked


# --- manual payments and staff review ------------------------------------------------------------
@transaction.atomic
def payment_record_manual(
    *,
    household: Household,
    method: str,
    amount: Decimal,
    invoice_ids: Iterable[int],
    received_on: datetime.date,
    reference: str = "",
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> Payment:
    """Record money staff received (cash, cheque, CESU, transfer) and allocate it to the household's
    due invoices, oldest due first; partial payment allowed, never more than what is due, and never
    on an invoice held by an online attempt in flight."""
    now = now or timezone.now()
    if method not in Payment.MANUAL_METHODS:
        raise PaymentError("Moyen de paiement inconnu : espèces, chèque, CESU ou virement.")
    amount = Decimal(amount).quantize(CENT)
    if amount <= ZERO:
        raise PaymentError("Le montant doit être positif.")
    ids = _parse_ids(invoice_ids)
    invoices = list(
        Invoice.objects.issued().filter(household=household, pk__in=ids).locked_with_balance()
        .order_by("due_date", "number")
    )
    if len(invoices) != len(ids):
        raise InvoiceNotFound("Ces factures ne sont pas toutes des factures émises de ce foyer.")
    if len({invoice.regie_id for invoice in invoices}) > 1:
        raise PaymentError("Ces factures relèvent de régies différentes : saisissez un paiement par régie.")
    for invoice in invoices:
        if invoice.status == Invoice.Status.PAYMENT_IN_PROGRESS:
            raise PaymentError(f"La facture n° {invoice.number} a un paiement en ligne en cours : attendez son issue.")
        if not invoice.is_payable:
            raise PaymentError(f"La facture n° {invoice.number} n'est plus à payer.")
    due = sum((invoice.balance for invoice in invoices), ZERO)
    if amount > due:
        raise PaymentError(f"Le montant ({amount} €) dépasse le reste dû de ces factures ({due} €).")
    payment = Payment.objects.create(
        household=household, regie=invoices[0].regie, method=method, status=Payment.Status.PAID, amount=amount,
        reference=reference, received_on=received_on, recorded_by=by, created_at=now, concluded_at=now,
    )
    left = amount
    for invoice in invoices:
        part = min(left, invoice.balance)
        if part <= ZERO:
            break
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=part)
        left -= part
    _settle_invoices([invoice.pk for invoice in invoices])
    who = (by.get_full_name() or by.email) if by else "la régie"
    payment.log("manual", f"{payment.get_method_display()} de {amount} € saisi par {who}.", reference=reference)
    return payment


@transaction.atomic
def payment_refund_record(*, payment_id: int, by: User | None = None, now: datetime.datetime | None = None) -> Payment:
    """Staff record that the payer of an overpayment (PayFiP paid invoices already settled) was
    refunded: who and when, once."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.refund_due:
        raise PaymentError("Ce paiement n'est pas à rembourser.")
    if payment.refunded_at is None:
        payment.refunded_at, payment.refunded_by = now or timezone.now(), by
        payment.save(update_fields=["refunded_at", "refunded_by"])
        who = (by.get_full_name() or by.email) if by else "la régie"
        payment.log("refunded", f"Remboursement de {payment.amount} € au payeur enregistré par {who}.")
    return payment


@transaction.atomic
def payment_mismatch_review(*, payment_id: int, by: User | None = None, now: datetime.datetime | None = None) -> Payment:
    """Staff mark a flagged anomaly as looked at (refund, manual entry…); it stays never paid."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.MISMATCH:
        raise PaymentError("Ce paiement n'est pas une anomalie.")
    if payment.mismatch_reviewed_at is None:
        payment.mismatch_reviewed_at = now or timezone.now()
        payment.save(update_fields=["mismatch_reviewed_at"])
        who = (by.get_full_name() or by.email) if by else "la régie"
        payment.log("reviewed", f"Anomalie vérifiée par {who}.")
    return payment

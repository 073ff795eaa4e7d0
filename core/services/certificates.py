"""Certificates for families: the annual tax certificate for the care of children under six
(CGI art. 200 quater B), and attestations of payment or attendance for a chosen period. Each is
computed here from settled payments and issued invoices, then rendered by core.pdf."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.constants import CENT, ZERO
from core.emails import queue_email
from core.services.billing import payer_snapshot
from core.models import Activity, Attendance, Child, Household, Invoice, InvoiceLine, Payment, PaymentAllocation

# The tax credit covers children under six on 1 January of the tax year: born on or after
# 1 January of year − 6 (the tax form's own wording: « nés à compter du 1er janvier N−6 »).
TAX_CERTIFICATE_MAX_AGE = 6
# The certificate of year N is available from 1 January of N + 1; the portal offers this many years.
TAX_CERTIFICATE_YEARS_SHOWN = 3
# An attestation covers at most this many days (a school year and its summer).
MAX_ATTESTATION_DAYS = 366
# Certificates and attestations go back at most this many years (accounts are kept ten years).
MAX_YEARS_BACK = 10


class CertificateError(Exception):
    """A refused certificate; the message is French, for the parent or staff."""


class AttestationKind:
    PAYMENTS = "paiements"
    ATTENDANCE = "presence"
    CHOICES = [(PAYMENTS, "Attestation de paiement"), (ATTENDANCE, "Attestation de présence")]


def payment_day(payment: Payment) -> datetime.date:
    """The day money was received: the day staff entered, or PayFiP's transaction day (Paris)."""
    if payment.received_on:
        return payment.received_on
    return timezone.localdate(payment.transaction_at or payment.concluded_at or payment.created_at)


def _settled_in(household, start, end):
    """The household's settled payments received between `start` and `end` (inclusive)."""
    # A margin on the timestamps: the exact day is read in Python (received_on or Paris time).
    margin = datetime.timedelta(days=2)
    since = datetime.datetime.combine(start, datetime.time.min, datetime.UTC) - margin
    until = datetime.datetime.combine(end, datetime.time.max, datetime.UTC) + margin
    candidates = Payment.objects.settled().filter(household=household).filter(
        Q(received_on__range=(start, end)) | Q(received_on__isnull=True, created_at__range=(since, until))
    )
    return [payment for payment in candidates.order_by("created_at", "pk") if start <= payment_day(payment) <= end]


def tax_certificate_available(*, year: int, today: datetime.date) -> bool:
    """The certificate of a year is issued once that year is over (and kept MAX_YEARS_BACK years)."""
    return today.year - MAX_YEARS_BACK <= year < today.year


def _check_year(year, today):
    if year >= today.year:
        raise CertificateError(f"L'attestation fiscale {year} sera disponible à partir du 1er janvier {year + 1}.")
    if not tax_certificate_available(year=year, today=today):
        raise CertificateError(f"Les attestations fiscales remontent à {MAX_YEARS_BACK} ans au plus.")


def child_is_eligible(child: Child, *, year: int) -> bool:
    return child.birth_date >= datetime.date(year - TAX_CERTIFICATE_MAX_AGE, 1, 1)


@dataclass
class ChildAmount:
    child: Child
    amount: Decimal = ZERO
    cesu: Decimal = ZERO


@dataclass
class TaxCertificate:
    household: Household
    year: int
    children: list = field(default_factory=list)  # ChildAmount, eligible children with an amount

    @property
    def total(self):
        return sum((c.amount for c in self.children), ZERO)

    @property
    def cesu_total(self):
        return sum((c.cesu for c in self.children), ZERO)


def tax_certificate_compute(*, household: Household, year: int, today: datetime.date) -> TaxCertificate:
    """What the household paid in `year` for childcare (activities of kind « garde périscolaire »;
    meals excluded) of its children under six on 1 January. A payment settling an invoice is
    shared among the invoice's lines in proportion to what each still bills (credit notes
    deducted), so a mixed invoice counts its childcare part only. CESU amounts are shown apart:
    those an employer prefinanced give no tax credit."""
    _check_year(year, today)
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    payments = _settled_in(household, start, end)
    eligible = {c.pk: c for c in household.children.all() if child_is_eligible(c, year=year)}
    amounts = {pk: ChildAmount(child=child) for pk, child in eligible.items()}
    if payments and eligible:
        allocations = PaymentAllocation.objects.filter(payment__in=payments).select_related("payment")
        shares = _childcare_shares([a.invoice_id for a in allocations])
        for allocation in allocations:
            for child_id, share in shares.get(allocation.invoice_id, {}).items():
                if child_id not in amounts:
                    continue
                part = allocation.amount * share
                amounts[child_id].amount += part
                if allocation.payment.method == Payment.Method.CESU:
                    amounts[child_id].cesu += part
    children = []
    for entry in sorted(amounts.values(), key=lambda e: (e.child.birth_date, e.child.first_name)):
        entry.amount = entry.amount.quantize(CENT, rounding=ROUND_HALF_UP)
        entry.cesu = entry.cesu.quantize(CENT, rounding=ROUND_HALF_UP)
        if entry.amount > ZERO:
            children.append(entry)
    return TaxCertificate(household=household, year=year, children=children)


def _childcare_shares(invoice_ids):
    """{invoice id: {child id: share of the invoice's net amount billed for that child's childcare}}."""
    invoices = Invoice.objects.filter(pk__in=set(invoice_ids)).prefetch_related("lines__activity", "lines__credit_lines")
    shares = {}
    for invoice in invoices:
        net_lines = [
            (line, line.amount - sum((c.amount for c in line.credit_lines.all()), ZERO)) for line in invoice.lines.all()
        ]
        net_total = sum((amount for _, amount in net_lines), ZERO)
        if net_total <= ZERO:
            continue
        per_child = defaultdict(lambda: ZERO)
        for line, amount in net_lines:
            if not line.is_fee and line.activity.kind == Activity.Kind.CHILDCARE:
                per_child[line.child_id] += amount
        shares[invoice.pk] = {child_id: amount / net_total for child_id, amount in per_child.items()}
    return shares


def _check_period(start, end, today):
    if end < start:
        raise CertificateError("La date de fin doit suivre la date de début.")
    if (end - start).days + 1 > MAX_ATTESTATION_DAYS:
        raise CertificateError(f"Une attestation couvre au plus {MAX_ATTESTATION_DAYS} jours.")
    if start > today:
        raise CertificateError("La période ne peut pas commencer dans le futur.")
    if start.year < today.year - MAX_YEARS_BACK:
        raise CertificateError(f"Une attestation remonte à {MAX_YEARS_BACK} ans au plus.")


def payment_attestation_compute(*, household: Household, start: datetime.date, end: datetime.date,
                                today: datetime.date) -> dict:
    """The household's settled payments received in the period, with the invoices each settled."""
    _check_period(start, end, today)
    payments = _settled_in(household, start, end)
    allocations = defaultdict(list)
    for allocation in PaymentAllocation.objects.filter(payment__in=payments).select_related("invoice").order_by("invoice__number"):
        allocations[allocation.payment_id].append(allocation)
    rows = [
        {"day": payment_day(p), "method": p.get_method_display(), "amount": p.amount,
         "invoices": ", ".join(a.invoice.number for a in allocations[p.pk])}
        for p in payments
    ]
    return {"rows": rows, "total": sum((p.amount for p in payments), ZERO)}


def attendance_attestation_compute(*, household: Household, start: datetime.date, end: datetime.date,
                                   today: datetime.date) -> dict:
    """Days each child attended an activity in the period: the days its issued invoices billed
    (cancelled invoices left out), less the days staff recorded an absence."""
    _check_period(start, end, today)
    lines = (
        Invoice.objects.issued().filter(household=household, period_start__lte=end, period_end__gte=start)
        .exclude(status=Invoice.Status.CANCELLED)
    )
    absent = set(
        Attendance.objects.filter(
            child__household=household, date__range=(start, end),
            status__in=[Attendance.Status.ABSENT_JUSTIFIED, Attendance.Status.ABSENT_UNJUSTIFIED],
        ).values_list("child_id", "activity_id", "date")
    )
    days = defaultdict(set)

    for line in InvoiceLine.objects.filter(invoice__in=lines, kind=InvoiceLine.Kind.ACTIVITY).select_related("child", "activity"):
        for text in line.dates:
            day = datetime.date.fromisoformat(text)
            if start <= day <= end and (line.child_id, line.activity_id, day) not in absent:
                days[(line.child, line.activity)].add(day)
    rows = [
        {"child": child, "activity": activity, "count": len(found), "days": sorted(found)}
        for (child, activity), found in sorted(days.items(), key=lambda item: (item[0][0].first_name, item[0][1].name))
    ]
    return {"rows": rows}


# --- PDFs and emails -----------------------------------------------------------------------------
def tax_certificate_pdf(*, household: Household, year: int, today: datetime.date) -> bytes:
    from core.pdf import render_certificate_pdf

    certificate = tax_certificate_compute(household=household, year=year, today=today)
    return render_certificate_pdf(
        "certificates/tax.html", household=household, today=today, certificate=certificate, **_payer(household),
        born_from=datetime.date(year - TAX_CERTIFICATE_MAX_AGE, 1, 1),
    )


def attestation_pdf(*, household: Household, kind: str, start: datetime.date, end: datetime.date,
                    today: datetime.date) -> bytes:
    from core.pdf import render_certificate_pdf

    if kind == AttestationKind.PAYMENTS:
        data = payment_attestation_compute(household=household, start=start, end=end, today=today)
        template = "certificates/payments.html"
    elif kind == AttestationKind.ATTENDANCE:
        data = attendance_attestation_compute(household=household, start=start, end=end, today=today)
        template = "certificates/attendance.html"
    else:
        raise CertificateError("Type d'attestation inconnu.")
    return render_certificate_pdf(
        template, household=household, today=today, start=start, end=end, **_payer(household), **data
    )


def _payer(household):
    payer = payer_snapshot(household)
    return {"payer_name": payer["payer_name"], "payer_address": payer["payer_address"]}


@transaction.atomic
def tax_certificates_send(*, household_ids, year: int, now: datetime.datetime | None = None) -> dict:
    """Staff send the tax certificate of `year` to households in batch: each household with an
    amount gets it by email (PDF attached, logged); the others are counted, not emailed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _check_year(year, today)
    sent, nothing, no_email = [], [], []
    households = Household.objects.filter(pk__in=household_ids).prefetch_related("children", "guardians")
    for household in households.order_by("reference"):
        certificate = tax_certificate_compute(household=household, year=year, today=today)
        if not certificate.children:
            nothing.append(household)
            continue
        guardian = household.billing_guardian
        email = guardian.email if guardian else ""
        if not email:
            no_email.append(household)
            continue
        path = default_storage.save(
            f"attestations/{year}/attestation-fiscale-{year}-{household.reference}.pdf",
            ContentFile(tax_certificate_pdf(household=household, year=year, today=today)),
        )
        queue_email(
            kind="tax_certificate", recipients=[email], household=household,
            context={"year": year, "total": certificate.total},
            attachments=[(f"attestation-fiscale-{year}.pdf", path, "application/pdf")],
        )
        sent.append(household)
    return {"sent": sent, "nothing": nothing, "no_email": no_email}



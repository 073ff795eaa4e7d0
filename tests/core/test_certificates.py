"""Certificates for families: the tax certificate for childcare (children under six on 1 January,
meals excluded, amounts paid in the year), attestations of payment and attendance, and the batch
sent by staff."""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from pypdf import PdfReader

from core.models import Attendance, EmailLog, Invoice, InvoiceLine, Payment, PaymentAllocation
from core.services import certificates
from core.services.certificates import AttestationKind, CertificateError
from tests import factories

TODAY = datetime.date(2027, 2, 10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TOWN_SIRET = "21590000000019"


_months = iter(range(1, 1000))


def invoice_with(regie, household, lines):
    """An issued invoice with (child, activity, days, amount) lines."""
    n = next(_months)
    run = factories.InvoiceRunFactory(regie=regie, month=datetime.date(2000 + n // 12, n % 12 + 1, 1))
    total = sum((Decimal(amount) for *_, amount in lines), Decimal("0.00"))
    invoice = factories.InvoiceFactory(regie=regie, household=household, run=run, total=total, number="",
                                       status=Invoice.Status.DRAFT, issue_date=None, due_date=None)
    for position, (child, activity, days, amount) in enumerate(lines):
        InvoiceLine.objects.create(
            invoice=invoice, child=child, activity=activity, label=f"{child.first_name} {activity.name}",
            dates=[d.isoformat() for d in days], quantity=len(days), unit_price=Decimal(amount) / len(days),
            amount=Decimal(amount), position=position,
        )
    Invoice.objects.filter(pk=invoice.pk).update(
        number=f"{regie.invoice_prefix}{2026}{invoice.pk:05d}", status=Invoice.Status.UNPAID,
        issue_date=datetime.date(2026, 1, 5), due_date=datetime.date(2026, 2, 4),
        period_start=min(d for _, _, days, _ in lines for d in days), period_end=max(d for _, _, days, _ in lines for d in days),
    )
    return Invoice.objects.get(pk=invoice.pk)


def pay(invoice, amount, day, method=Payment.Method.CHEQUE):
    payment = Payment.objects.create(
        household=invoice.household, regie=invoice.regie, method=method, status=Payment.Status.PAID,
        amount=Decimal(amount), received_on=day, created_at=datetime.datetime.combine(day, datetime.time(12), datetime.UTC),
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=Decimal(amount))
    return payment


@pytest.fixture
def kids(family):
    """Junior, born 2021 (under 6 on 1 January 2026); Lise, born 2019 (6 already)."""
    junior, lise = family.children
    junior.birth_date, lise.birth_date = datetime.date(2021, 5, 2), datetime.date(2019, 9, 1)
    junior.save()
    lise.save()
    return junior, lise


DAYS = [datetime.date(2026, 3, d) for d in (2, 3, 5)]


def test_tax_certificate_counts_childcare_of_children_under_six_paid_in_the_year(town, family, kids):
    junior, lise = kids
    mixed = invoice_with(town.regie, family.household, [
        (junior, town.repas_maternelle, DAYS, "30.00"),  # a meal: excluded
        (junior, town.garderie_soir, DAYS, "10.00"),  # childcare, under six: counted
        (lise, town.garderie_soir, DAYS, "10.00"),  # childcare, six already: excluded
    ])
    pay(mixed, "25.00", datetime.date(2026, 3, 20))  # half the invoice, in 2026
    pay(mixed, "25.00", datetime.date(2027, 1, 3))  # the other half, in 2027: next year's certificate
    certificate = certificates.tax_certificate_compute(household=family.household, year=2026, today=TODAY)
    assert [(c.child, c.amount) for c in certificate.children] == [(junior, Decimal("5.00"))]
    assert certificate.total == Decimal("5.00")


def test_a_child_born_on_1_january_six_years_before_is_still_counted(town, family, kids):
    junior, _ = kids
    junior.birth_date = datetime.date(2020, 1, 1)
    junior.save()
    invoice = invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "10.00")])
    pay(invoice, "10.00", datetime.date(2026, 4, 1))
    assert certificates.tax_certificate_compute(household=family.household, year=2026, today=TODAY).total == Decimal("10.00")
    junior.birth_date = datetime.date(2019, 12, 31)
    junior.save()
    assert certificates.tax_certificate_compute(household=family.household, year=2026, today=TODAY).children == []


def test_credit_notes_and_cesu_are_accounted_for(town, family, kids):
    junior, _ = kids
    invoice = invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "12.00")])
    pay(invoice, "12.00", datetime.date(2026, 5, 1), method=Payment.Method.CESU)
    (entry,) = certificates.tax_certificate_compute(household=family.household, year=2026, today=TODAY).children
    assert (entry.amount, entry.cesu) == (Decimal("12.00"), Decimal("12.00"))


def test_unsettled_payments_count_for_nothing(town, family, kids):
    junior, _ = kids
    invoice = invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "12.00")])
    payment = pay(invoice, "12.00", datetime.date(2026, 5, 1))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUSED, method=Payment.Method.ONLINE)
    assert certificates.tax_certificate_compute(household=family.household, year=2026, today=TODAY).children == []


def test_the_certificate_of_a_year_waits_for_its_end(family):
    with pytest.raises(CertificateError, match="à partir du 1er janvier 2027"):
        certificates.tax_certificate_compute(household=family.household, year=2026, today=datetime.date(2026, 12, 31))
    certificates.tax_certificate_compute(household=family.household, year=2026, today=datetime.date(2027, 1, 1))


def test_the_tax_certificate_pdf(town, family, kids):
    junior, _ = kids
    invoice = invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "10.00")])
    pay(invoice, "10.00", datetime.date(2026, 4, 1))
    pdf = certificates.tax_certificate_pdf(household=family.household, year=2026, today=TODAY)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Attestation fiscale 2026" in text and "200 quater B" in text
    assert "21590000000019" in text and "Junior" in text and "10,00" in text
    # Signed in the commune, not « à Mairie de … ».
    assert f"Fait à {settings.TOWN_CITY}, le" in text and "Fait à Mairie" not in text


def test_payment_attestation_lists_the_period(town, family, kids):
    junior, _ = kids
    invoice = invoice_with(town.regie, family.household, [(junior, town.repas_maternelle, DAYS, "30.00")])
    pay(invoice, "10.00", datetime.date(2026, 3, 31))
    pay(invoice, "20.00", datetime.date(2026, 4, 1))
    data = certificates.payment_attestation_compute(
        household=family.household, start=datetime.date(2026, 4, 1), end=datetime.date(2026, 4, 30), today=TODAY
    )
    assert [(r["day"], r["amount"], r["invoices"]) for r in data["rows"]] == [
        (datetime.date(2026, 4, 1), Decimal("20.00"), invoice.number)
    ]
    assert data["total"] == Decimal("20.00")


def test_attendance_attestation_counts_billed_days_less_absences(town, family, kids):
    junior, _ = kids
    invoice_with(town.regie, family.household, [(junior, town.repas_maternelle, DAYS, "30.00")])
    Attendance.objects.create(child=junior, activity=town.repas_maternelle, date=DAYS[1],
                              status=Attendance.Status.ABSENT_UNJUSTIFIED)
    data = certificates.attendance_attestation_compute(
        household=family.household, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 4), today=TODAY
    )
    assert [(r["child"], r["count"], r["days"]) for r in data["rows"]] == [(junior, 1, [DAYS[0]])]
    pdf = certificates.attestation_pdf(household=family.household, kind=AttestationKind.ATTENDANCE,
                                       start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 4), today=TODAY)
    assert "Attestation de présence" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.mark.parametrize("start, end, message", [
    (datetime.date(2026, 5, 1), datetime.date(2026, 4, 1), "fin doit suivre"),
    (datetime.date(2025, 1, 1), datetime.date(2026, 4, 1), "au plus"),
    (datetime.date(2027, 3, 1), datetime.date(2027, 3, 2), "futur"),
])
def test_an_attestation_period_is_checked(family, start, end, message):
    with pytest.raises(CertificateError, match=message):
        certificates.payment_attestation_compute(household=family.household, start=start, end=end, today=TODAY)


def test_staff_send_tax_certificates_in_batch(town, family, kids, other_family, django_capture_on_commit_callbacks):
    junior, _ = kids
    invoice = invoice_with(town.regie, family.household, [(junior, town.garderie_soir, DAYS, "10.00")])
    pay(invoice, "10.00", datetime.date(2026, 4, 1))
    with django_capture_on_commit_callbacks(execute=True):
        result = certificates.tax_certificates_send(
            household_ids=[family.household.pk, other_family.household.pk], year=2026,
            now=datetime.datetime(2027, 1, 15, 9, tzinfo=datetime.UTC),
        )
    assert result["sent"] == [family.household] and result["nothing"] == [other_family.household]
    (message,) = mail.outbox
    assert message.to == [family.parent.email] and message.attachments[0][0] == "attestation-fiscale-2026.pdf"
    assert EmailLog.objects.get(kind="tax_certificate").household == family.household


@pytest.mark.parametrize("year", [1, 2016, 9999])
def test_a_tax_year_out_of_reach_is_refused(family, year):
    with pytest.raises(CertificateError):
        certificates.tax_certificate_compute(household=family.household, year=year, today=TODAY)


def test_an_attestation_goes_back_ten_years_at_most(family):
    with pytest.raises(CertificateError, match="10 ans"):
        certificates.payment_attestation_compute(
            household=family.household, start=datetime.date(1, 1, 1), end=datetime.date(1, 2, 1), today=TODAY
        )

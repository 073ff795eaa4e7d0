"""factory-boy factories for every model, with the demo town's shapes as defaults."""

import calendar
import datetime
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from core import models

DEFAULT_PASSWORD = "espacefamille"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Camille"
    last_name = "Agent"
    password = factory.django.Password(DEFAULT_PASSWORD)


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
    email = factory.Sequence(lambda n: f"agent{n}@mairie.test")


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A staff member's confirmed authenticator app (the second factor of the admin login)."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "Application d'authentification"
    confirmed = True


def totp_code(device, *, at=None):
    """The 6-digit code `device`'s app shows now (or at the Unix time `at`)."""
    import time

    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    generator.time = time.time() if at is None else at
    return f"{generator.token():0{device.digits}d}"


def login_verified(client, user):
    """Log `user` into `client` having passed the second factor: a confirmed TOTP device (made
    if needed) recorded on the session the way django_otp.login does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDeviceFactory(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


class RoleStaffFactory(UserFactory):
    """A staff member who is not superuser: what they may do comes from their role group."""

    class Meta:
        skip_postgeneration_save = True

    is_staff = True
    email = factory.Sequence(lambda n: f"role{n}@mairie.test")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            from core.services.roles import roles_sync

            self.groups.add(roles_sync()[extracted])


class RegieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Regie

    name = factory.Sequence(lambda n: f"Régie {n}")
    invoice_prefix = factory.Sequence(lambda n: f"R{n}")
    payfip_numcli = "012345"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.School

    name = factory.Sequence(lambda n: f"École maternelle {n}")
    kind = models.School.Kind.MATERNELLE


class ElementarySchoolFactory(SchoolFactory):
    name = factory.Sequence(lambda n: f"École élémentaire {n}")
    kind = models.School.Kind.ELEMENTAIRE


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SchoolYear
        django_get_or_create = ["label"]

    label = "2026-2027"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 7, 2)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Closure

    name = "Vacances de la Toussaint"
    kind = models.Closure.Kind.HOLIDAYS
    start_date = datetime.date(2026, 10, 17)
    end_date = datetime.date(2026, 11, 1)


class DeadlineRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DeadlineRule

    name = factory.Sequence(lambda n: f"Règle {n}")
    kind = models.DeadlineRule.Kind.WORKING_DAYS
    days = 2
    time = datetime.time(10, 0)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Activity

    name = factory.Sequence(lambda n: f"Repas maternelle {n}")
    code = factory.Sequence(lambda n: f"repas-{n}")
    kind = models.Activity.Kind.MEAL
    regie = factory.SubFactory(RegieFactory)
    weekdays = [0, 1, 3, 4]
    grades = ["PS", "MS", "GS"]
    booking_rule = factory.SubFactory(DeadlineRuleFactory)
    cancellation_rule = factory.SelfAttribute("booking_rule")
    late_surcharge = Decimal("1.00")


class QuotientBracketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.QuotientBracket

    label = factory.Sequence(lambda n: f"Tranche {n}")
    min_value = factory.Sequence(lambda n: n * 1000)
    max_value = factory.LazyAttribute(lambda o: o.min_value + 999)


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Tariff

    activity = factory.SubFactory(ActivityFactory)
    bracket = factory.SubFactory(QuotientBracketFactory)
    is_resident = True
    unit_price = Decimal("3.70")
    valid_from = datetime.date(2026, 9, 1)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Household

    reference = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"FAMILLE{n}")
    address_line1 = "8 rue des Écoles"
    postal_code = "59270"
    city = "Valbourg"


class QuotientFamilialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.QuotientFamilial

    household = factory.SubFactory(HouseholdFactory)
    value = 900
    valid_from = datetime.date(2026, 9, 1)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Guardian

    household = factory.SubFactory(HouseholdFactory)
    civility = "M"
    first_name = "Deux"
    last_name = factory.SelfAttribute("household.name")
    email = factory.Sequence(lambda n: f"parent{n}@example.test")
    is_billing_contact = False


class ParentFactory(GuardianFactory):
    """A guardian with an activated portal login."""

    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"))
    email_verified_at = factory.LazyFunction(timezone.now)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Child

    household = factory.SubFactory(HouseholdFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = factory.SelfAttribute("household.name")
    birth_date = datetime.date(2022, 3, 14)
    school = factory.SubFactory(SchoolFactory)
    grade = "MS"


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enrolment

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    status = models.Enrolment.Status.ACCEPTED


class ChildDayFactory(factory.django.DjangoModelFactory):
    """A child at an activity on a day: what a booking and an attendance both are."""

    class Meta:
        abstract = True

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    date = datetime.date(2026, 12, 3)


class BookingFactory(ChildDayFactory):
    class Meta:
        model = models.Booking

    status = models.Booking.Status.BOOKED
    source = models.Booking.Source.PORTAL
    booked_at = factory.LazyFunction(timezone.now)


class AttendanceFactory(ChildDayFactory):
    class Meta:
        model = models.Attendance

    status = models.Attendance.Status.PRESENT


class NewsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.News

    title = factory.Sequence(lambda n: f"Actualité {n}")
    body = "Les inscriptions pour les vacances sont ouvertes."
    published_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class InvoiceRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.InvoiceRun
        django_get_or_create = ["regie", "month"]

    regie = factory.SubFactory(RegieFactory)
    month = datetime.date(2026, 12, 1)
    status = models.InvoiceRun.Status.ISSUED


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued, unpaid invoice (numbers as invoicing gives them: letters and digits)."""

    class Meta:
        model = models.Invoice

    run = factory.SubFactory(InvoiceRunFactory, regie=factory.SelfAttribute("..regie"))
    regie = factory.SubFactory(RegieFactory)
    household = factory.SubFactory(HouseholdFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"{o.regie.invoice_prefix}2027{o.sequence:05d}")
    period_start = factory.LazyAttribute(lambda o: o.run.month)
    period_end = factory.LazyAttribute(
        lambda o: o.run.month.replace(day=calendar.monthrange(o.run.month.year, o.run.month.month)[1])
    )
    status = models.Invoice.Status.UNPAID
    total = Decimal("59.20")
    issue_date = datetime.date(2027, 1, 5)
    due_date = datetime.date(2027, 2, 4)
    issued_at = factory.LazyFunction(timezone.now)
    payer_name = factory.LazyAttribute(lambda o: f"M {o.household.name}")
    household_reference = factory.LazyAttribute(lambda o: o.household.reference)


class PaymentFactory(factory.django.DjangoModelFactory):
    """An online payment attempt in flight (pass status/method for others)."""

    class Meta:
        model = models.Payment

    household = factory.SubFactory(HouseholdFactory)
    regie = factory.SubFactory(RegieFactory)
    method = models.Payment.Method.ONLINE
    status = models.Payment.Status.INITIATED
    amount = Decimal("59.20")
    created_at = factory.LazyFunction(timezone.now)


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DocumentType
        django_get_or_create = ["code"]

    name = "Attestation d'assurance"
    code = "assurance"
    validity_months = 12


def enrolment_campaign(town, *, opens_at, closes_at, label="2027-2028"):
    """A campaign for the school year `label`: both canteens (insurance required, CAF optional)
    and the evening care (days asked, insurance required)."""
    year = int(label[:4])
    school_year = SchoolYearFactory(label=label, start_date=datetime.date(year, 9, 1),
                                    end_date=datetime.date(year + 1, 7, 3))
    insurance = DocumentTypeFactory(name="Attestation d'assurance", code="assurance", validity_months=12)
    caf = DocumentTypeFactory(name="Attestation CAF", code="caf", validity_months=12, carries_quotient=True)
    campaign = models.EnrolmentCampaign.objects.create(
        school_year=school_year, name=f"Inscriptions {label}", opens_at=opens_at, closes_at=closes_at)
    for activity in (town.repas_maternelle, town.repas_primaire, town.garderie_soir):
        service = models.CampaignService.objects.create(campaign=campaign, activity=activity,
                                                        asks_days=activity == town.garderie_soir)
        service.required_documents.add(insurance)
        if activity != town.garderie_soir:
            service.optional_documents.add(caf)
    return campaign


# --- Helpers for the billing tests ----------------------------------------------------------------


def flat_tariff(activity, *, unit_price=Decimal("3.70"), label="Unique"):
    """One bracket for every quotient and its tariff: each of the activity's units costs `unit_price`."""
    bracket = QuotientBracketFactory(label=label, min_value=0, max_value=None)
    return TariffFactory(activity=activity, bracket=bracket, unit_price=unit_price)


def book(child, activity, days):
    """Book the child at the activity on each day; return the bookings."""
    return [BookingFactory(child=child, activity=activity, date=day) for day in days]


def attach_pdf(invoice, content=b"%PDF-1.4 facture"):
    """Store a PDF for an issued invoice (an issued invoice refuses save(): the row is updated)."""
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(content), save=False)
    models.Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return invoice

"""Absences declared by a parent (absence justifiée): for booked days past the cancellation
deadline, up to `ABSENCE_DECLARATION_HOURS` after the day; staff accept or refuse; accepted days
are recorded as justified absences (`Attendance.is_billable` is False: the invoice run does not
bill them); refused ones stay billed. The household is emailed at each step. A day still before
its cancellation deadline is a plain cancellation, through the basket.

Medical certificate: each activity's rule (`Activity.needs_absence_certificate`) says whether a
declaration needs one; the parent sends it with the declaration or later, until
`ABSENCE_CERTIFICATE_DAYS` after declaring (`absence_certificate_add`). The file is a household
document (core.services.documents: type read from the content, size limit, private storage). A
declaration missing a required certificate cannot be accepted; staff refuse it once the delay is
over (or earlier, for another reason)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import emails
from core.constants import PARIS
from core.models import (
    AbsenceDay,
    AbsenceDeclaration,
    AbsenceReason,
    Attendance,
    Booking,
    Child,
    DocumentType,
    Guardian,
    HouseholdDocument,
    User,
)
from core.services import french_dates
from core.services.attendance import attendance_record
from core.services.calendar import ServiceCalendar
from core.services.deadlines import CALENDAR_LOOKBACK, Action, activity_deadline, is_past, paris_datetime
from core.services.documents import DocumentError, document_check_file, document_review, document_upload

MAX_ABSENCE_DAYS = 31
CERTIFICATE_TYPE_CODE = "certificat-medical"
CERTIFICATE_TYPE_NAME = "Certificat médical"


@dataclass(frozen=True)
class AbsenceDayCheck:
    booking: Booking
    problem: str | None  # why this day cannot be declared absent (None when it can)


def absence_limit(day: datetime.date) -> datetime.datetime:
    """The last instant a parent may declare `day` absent: the configured hours after the day."""
    end_of_day = paris_datetime(day + datetime.timedelta(days=1), datetime.time(0, 0))
    return end_of_day + datetime.timedelta(hours=settings.ABSENCE_DECLARATION_HOURS)


def absence_days_check(
    *, child: Child, start: datetime.date, end: datetime.date, now: datetime.datetime
) -> list[AbsenceDayCheck]:
    """The child's booked days between two dates, each with why it cannot be declared absent now:
    still cancellable (use the basket), too late, or already declared."""
    bookings = list(
        Booking.objects.active().filter(child=child).between(start, end)
        .select_related("activity__cancellation_rule").order_by("date", "activity__position")
    )
    if not bookings:
        return []
    calendar = ServiceCalendar.load(start - CALENDAR_LOOKBACK, end)
    declared = set(
        AbsenceDay.objects.filter(declaration__child=child, date__gte=start, date__lte=end)
        .exclude(declaration__status=AbsenceDeclaration.Status.REFUSED).values_list("activity_id", "date")
    )
    checks = []
    for booking in bookings:
        label = f"{booking.activity.name}, {french_dates.short_label(booking.date)}"
        deadline = activity_deadline(activity=booking.activity, day=booking.date, action=Action.CANCEL, calendar=calendar)
        if not is_past(deadline, now=now):
            problem = f"{label} : encore annulable, annulez-le dans le panier (sans justificatif)."
        elif is_past(absence_limit(booking.date), now=now):
            problem = f"{label} : trop tard, la déclaration était possible {settings.ABSENCE_DECLARATION_HOURS} h après le jour."
        elif (booking.activity_id, booking.date) in declared:
            problem = f"{label} : absence déjà déclarée."
        else:
            problem = None
        checks.append(AbsenceDayCheck(booking=booking, problem=problem))
    return checks


def absence_declare(
    *,
    guardian: Guardian,
    child: Child,
    start: datetime.date,
    end: datetime.date,
    reason: AbsenceReason,
    comment: str = "",
    certificate=None,
    now: datetime.datetime | None = None,
) -> tuple[AbsenceDeclaration, list[str]]:
    """Declare the child absent on its booked days between two dates that are past the
    cancellation deadline and within the limit; returns the declaration and the days left out
    (French reasons). Refused when no day can be declared. `certificate` (an uploaded file) is
    stored as the household's medical certificate; whether one is required is decided here, by
    the activities' rules, and recorded with the date it is due."""
    now = now or timezone.now()
    if certificate is not None:
        _check_certificate_file(certificate)
    if child.household_id != guardian.household_id:
        raise PermissionDenied("Cet enfant n'appartient pas à votre foyer.")
    if end < start:
        raise ValidationError("La date de fin doit suivre la date de début.", code="invalid_period")
    if (end - start).days >= MAX_ABSENCE_DAYS:
        raise ValidationError(f"Une déclaration couvre au plus {MAX_ABSENCE_DAYS} jours.", code="invalid_period")
    with transaction.atomic():
        Child.objects.select_for_update().filter(pk=child.pk).first()  # one declaration at a time per child
        checks = absence_days_check(child=child, start=start, end=end, now=now)
        days = [c.booking for c in checks if c.problem is None]
        left_out = [c.problem for c in checks if c.problem]
        if not days:
            if not checks:
                raise ValidationError(f"{child.first_name} n'a aucune réservation sur ces jours.", code="no_booking")
            raise ValidationError(" ".join(left_out), code="no_day")
        today = now.astimezone(PARIS).date()
        declaration = AbsenceDeclaration.objects.create(
            child=child, start=start, end=end, reason=reason, comment=comment.strip(), declared_at=now,
            declared_by=guardian.user, certificate_required=certificate_needed(bookings=days, declared_on=today),
            certificate_due=today + datetime.timedelta(days=settings.ABSENCE_CERTIFICATE_DAYS),
        )
        AbsenceDay.objects.bulk_create(
            AbsenceDay(declaration=declaration, activity=b.activity, date=b.date) for b in days
        )
        if certificate is not None:
            declaration.certificate = _store_certificate(guardian=guardian, child=child, uploaded_file=certificate, now=now)
            declaration.save(update_fields=["certificate"])
        _email(declaration, "absence_declared")
        return declaration, left_out


def certificate_needed(*, bookings, declared_on: datetime.date) -> bool:
    """A declaration needs a medical certificate when the rule of any activity it covers asks for
    one, given that activity's declared days (`Activity.needs_absence_certificate`)."""
    by_activity = {}
    for booking in bookings:
        by_activity.setdefault(booking.activity_id, (booking.activity, []))[1].append(booking.date)
    return any(
        activity.needs_absence_certificate(days=dates, declared_on=declared_on) for activity, dates in by_activity.values()
    )


def absence_certificate_add(
    *, guardian: Guardian, declaration: AbsenceDeclaration, uploaded_file, now: datetime.datetime | None = None
) -> AbsenceDeclaration:
    """The parent sends (or replaces) the medical certificate of a pending declaration, until its
    due date (`ABSENCE_CERTIFICATE_DAYS` after declaring); the household is emailed."""
    now = now or timezone.now()
    _check_certificate_file(uploaded_file)
    with transaction.atomic():
        declaration = (
            AbsenceDeclaration.objects.select_for_update().select_related("child__household").get(pk=declaration.pk)
        )
        if declaration.child.household_id != guardian.household_id:
            raise PermissionDenied("Cette absence ne concerne pas votre foyer.")
        if declaration.status != AbsenceDeclaration.Status.PENDING:
            raise ValidationError(
                "Cette absence a déjà été examinée : le certificat ne peut plus être ajouté.", code="already_reviewed"
            )
        if not declaration.accepts_certificate(today=now.astimezone(PARIS).date()):
            until = f" (il courait jusqu'au {declaration.certificate_due:%d/%m/%Y})" if declaration.certificate_due else ""
            raise ValidationError(
                f"Le délai pour envoyer le certificat médical est dépassé{until}.", code="certificate_late"
            )
        declaration.certificate = _store_certificate(
            guardian=guardian, child=declaration.child, uploaded_file=uploaded_file, now=now
        )
        declaration.save(update_fields=["certificate"])
        _email(declaration, "absence_certificate_received")
        return declaration


def certificate_type() -> DocumentType:
    """The document type of medical certificates, made on first use (staff may rename it)."""
    found = DocumentType.objects.filter(code=CERTIFICATE_TYPE_CODE).first()
    if found is None:
        found, _ = DocumentType.objects.get_or_create(
            name=CERTIFICATE_TYPE_NAME, defaults={"code": CERTIFICATE_TYPE_CODE, "position": 900}
        )
    return found


def _check_certificate_file(uploaded_file):
    try:
        document_check_file(uploaded_file)
    except DocumentError as error:
        raise ValidationError(f"Certificat médical : {error}", code="certificate_file") from error


def _store_certificate(*, guardian, child, uploaded_file, now) -> HouseholdDocument:
    try:
        return document_upload(
            household=child.household, document_type=certificate_type(), uploaded_file=uploaded_file,
            uploaded_by=guardian, now=now,
        )
    except DocumentError as error:
        raise ValidationError(f"Certificat médical : {error}", code="certificate_file") from error


def absence_review(
    *,
    declaration_id: int,
    accept: bool,
    staff_user: User,
    refusal_reason: str = "",
    now: datetime.datetime | None = None,
) -> AbsenceDeclaration:
    """Staff decide a pending declaration: accepted days are recorded as justified absences (not
    billed); a refusal needs a reason and leaves the days billed. The household is emailed."""
    now = now or timezone.now()
    with transaction.atomic():
        declaration = AbsenceDeclaration.objects.select_for_update().select_related("child").get(pk=declaration_id)
        if declaration.status != AbsenceDeclaration.Status.PENDING:
            raise ValidationError("Cette absence a déjà été examinée.", code="already_reviewed")
        if not accept and not refusal_reason.strip():
            raise ValidationError("Indiquez le motif du refus : il est envoyé à la famille.", code="refusal_reason")
        if accept and declaration.certificate_missing:
            raise ValidationError(certificate_missing_message(declaration), code="certificate_missing")
        if accept and declaration.certificate_id is not None:
            certificate = declaration.certificate
            if certificate.status == HouseholdDocument.Status.PENDING:
                document_review(document=certificate, accept=True, reviewer=staff_user, now=now)
        if accept:
            for day in declaration.days.select_related("activity"):
                attendance_record(
                    child=declaration.child, activity=day.activity, day=day.date,
                    status=Attendance.Status.ABSENT_JUSTIFIED, by=staff_user,
                )
        declaration.status = AbsenceDeclaration.Status.ACCEPTED if accept else AbsenceDeclaration.Status.REFUSED
        declaration.refusal_reason = "" if accept else refusal_reason.strip()
        declaration.reviewed_at, declaration.reviewed_by = now, staff_user
        declaration.save(update_fields=["status", "refusal_reason", "reviewed_at", "reviewed_by"])
        _email(declaration, "absence_reviewed")
        return declaration


def certificate_missing_message(declaration: AbsenceDeclaration) -> str:
    """Why a declaration missing its required certificate cannot be accepted, and what to do."""
    due = declaration.certificate_due
    then = f"La famille peut l'ajouter jusqu'au {due:%d/%m/%Y} ; passé ce délai, refusez-la" if due else "Refusez-la"
    return (
        "Le certificat médical exigé pour cette absence n'a pas été envoyé : l'absence reste à examiner. "
        f"{then} (les jours restent facturés)."
    )


def absence_day_labels(declaration: AbsenceDeclaration) -> list[str]:
    return [f"{d.activity.name}, {french_dates.long_label(d.date)}" for d in declaration.days.select_related("activity")]


def _email(declaration, kind):
    household = declaration.child.household
    emails.queue_email(
        kind=kind,
        recipients=[g.email for g in household.guardians.all() if g.email],
        household=household,
        context={
            "child": declaration.child.full_name,
            "reason": declaration.reason.label,
            "days": absence_day_labels(declaration),
            "status": declaration.status,
            "status_label": declaration.get_status_display().lower(),
            "refusal_reason": declaration.refusal_reason,
            "certificate_required": declaration.certificate_required,
            "certificate_provided": declaration.certificate_id is not None,
            "certificate_due": declaration.certificate_due,
        },
    )



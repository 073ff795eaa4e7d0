"""Absences declared by a parent (absence justifiée): for booked days past the cancellation
deadline, up to `ABSENCE_DECLARATION_HOURS` after the day; staff accept or refuse; accepted days
are recorded as justified absences (`Attendance.is_billable` is False: the invoice run does not
bill them); refused ones stay billed. The household is emailed at each step. A day still before
its cancellation deadline is a plain cancellation, through the basket."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import emails
from core.models import AbsenceDay, AbsenceDeclaration, AbsenceReason, Attendance, Booking, Child, Guardian, User
from core.services import french_dates
from core.services.attendance import attendance_record
from core.services.calendar import ServiceCalendar
from core.services.deadlines import CALENDAR_LOOKBACK, Action, activity_deadline, is_past, paris_datetime

MAX_ABSENCE_DAYS = 31


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
    now: datetime.datetime | None = None,
) -> tuple[AbsenceDeclaration, list[str]]:
    """Declare the child absent on its booked days between two dates that are past the
    cancellation deadline and within the limit; returns the declaration and the days left out
    (French reasons). Refused when no day can be declared."""
    now = now or timezone.now()
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
        declaration = AbsenceDeclaration.objects.create(
            child=child, start=start, end=end, reason=reason, comment=comment.strip(), declared_at=now,
            declared_by=guardian.user,
        )
        AbsenceDay.objects.bulk_create(
            AbsenceDay(declaration=declaration, activity=b.activity, date=b.date) for b in days
        )
        _email(declaration, "absence_declared")
        return declaration, left_out


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
        },
    )



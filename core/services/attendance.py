"""Attendance (pointage): what really happened on a service day, recorded by staff."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from core.models import Activity, Attendance, Booking, Child, Enrolment, InvoiceRun, School, SchoolYear, User


def attendance_is_locked(*, activity: Activity, day: datetime.date) -> bool:
    """Attendance of a day can no longer change once an invoice run of the activity's régie
    covering that month is issued or being issued (a draft still follows attendance)."""
    return InvoiceRun.objects.filter(
        regie_id=activity.regie_id, month=day.replace(day=1), status__in=InvoiceRun.LOCKED_STATUSES
    ).exists()


@dataclass
class AttendanceLine:
    child: Child
    booked: bool
    attendance: Attendance | None

    @property
    def status(self):
        return self.attendance.status if self.attendance else None


def attendance_sheet(*, school: School, activity: Activity, day: datetime.date) -> list[AttendanceLine]:
    """The children booked on `day` for `activity` at `school`, then those present without
    booking, each with their recorded attendance (None when not yet recorded)."""
    booked_ids = set(
        Booking.objects.active()
        .filter(activity=activity, date=day, child__school=school)
        .values_list("child_id", flat=True)
    )
    records = {
        a.child_id: a
        for a in Attendance.objects.filter(activity=activity, date=day, child__school=school).select_related("recorded_by")
    }
    children = Child.objects.filter(pk__in=booked_ids | set(records)).select_related("household").order_by(
        "last_name", "first_name"
    )
    lines = [AttendanceLine(child, child.pk in booked_ids, records.get(child.pk)) for child in children]
    return sorted(lines, key=lambda line: (not line.booked, line.child.last_name, line.child.first_name))


def attendance_unbooked_candidates(*, school: School, activity: Activity, day: datetime.date) -> QuerySet[Child]:
    """Children of `school` enrolled in `activity` this school year, without booking or attendance on `day`."""
    school_year = SchoolYear.objects.containing(day).first()
    taken = set(Booking.objects.active().filter(activity=activity, date=day).values_list("child_id", flat=True))
    taken |= set(Attendance.objects.filter(activity=activity, date=day).values_list("child_id", flat=True))
    enrolled = Enrolment.objects.accepted().filter(activity=activity, school_year=school_year, child__school=school)
    return (
        Child.objects.filter(pk__in=enrolled.values("child_id"))
        .exclude(pk__in=taken)
        .order_by("last_name", "first_name")
    )


@transaction.atomic
def attendance_record(*, child: Child, activity: Activity, day: datetime.date, status: str, by: User) -> Attendance:
    """Record (or correct) a child's attendance; refused when the day is locked or the status
    does not match the booking (Attendance.clean)."""
    if attendance_is_locked(activity=activity, day=day):
        raise ValidationError("Ce jour a déjà été facturé : le pointage ne peut plus être modifié.")
    attendance = (
        Attendance.objects.select_for_update().filter(child=child, activity=activity, date=day).first()
        or Attendance(child=child, activity=activity, date=day)
    )
    attendance.status = status
    attendance.recorded_by = by
    attendance.full_clean(validate_unique=False, validate_constraints=False)
    attendance.save()
    return attendance

"""The service calendar: which days an activity runs, and why a day is closed.

French public holidays come from the `holidays` package (with Alsace-Moselle's extra days when
PUBLIC_HOLIDAYS_SUBDIVISION is set); school holidays, strikes and closures are `Closure` rows.
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from core.models import Activity, Child, Closure, Enrolment, RegistrationWindow, SchoolYear

PUBLIC_HOLIDAY_LABEL = "Jour férié"

# How far from today a service day may be asked for, before or after, by the API, the pages and
# the forms alike: the calendar holds no school year further away, and date arithmetic on years
# 1 or 9999 overflows.
BOOKING_HORIZON = datetime.timedelta(days=2 * 366)
OUT_OF_HORIZON = "out_of_horizon"
OUT_OF_HORIZON_MESSAGE = "Choisissez une date à moins de deux ans d'aujourd'hui."


def within_horizon(day, *, today):
    """Whether `day` is close enough to `today` to be shown or booked (see BOOKING_HORIZON)."""
    return abs(day - today) <= BOOKING_HORIZON


def check_within_horizon(day, *, today):
    """Refuse a day beyond the booking horizon with the French message every entry point shows."""
    if not within_horizon(day, today=today):
        raise ValidationError(OUT_OF_HORIZON_MESSAGE, code=OUT_OF_HORIZON)


@lru_cache(maxsize=64)
def _public_holidays_for_year(year, subdivision):
    return dict(holidays.France(years=year, subdiv=subdivision, language="fr"))


def public_holiday_name(day: datetime.date) -> str | None:
    """The name of the French public holiday on `day` (e.g. "Armistice"), or None."""
    return _public_holidays_for_year(day.year, settings.PUBLIC_HOLIDAYS_SUBDIVISION).get(day)


def is_public_holiday(day: datetime.date) -> bool:
    return public_holiday_name(day) is not None


def daterange(start: datetime.date, end: datetime.date) -> Iterator[datetime.date]:
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def windows_between(start: datetime.date, end: datetime.date) -> list:
    """The ALSH registration windows overlapping the range, each with its `activity_ids`, in one
    query (none in a town without windows)."""
    links = RegistrationWindow.activities.through.objects.filter(
        registrationwindow__start_date__lte=end, registrationwindow__end_date__gte=start
    ).select_related("registrationwindow")
    windows = {}
    for link in links:
        window = windows.setdefault(link.registrationwindow_id, link.registrationwindow)
        window.activity_ids = getattr(window, "activity_ids", frozenset()) | {link.activity_id}
    return sorted(windows.values(), key=lambda w: (w.start_date, w.pk))


@dataclass
class ServiceCalendar:
    """Closures, school years and public holidays of a date range, loaded in two queries so that
    any number of (child, activity, day) questions cost nothing more."""

    start: datetime.date
    end: datetime.date
    closures: list
    school_years: list
    windows: list = field(default_factory=list)  # ALSH registration windows, with `activity_ids`

    @classmethod
    def load(cls, start, end):
        return cls(
            start=start,
            end=end,
            closures=list(Closure.objects.overlapping(start, end)),
            school_years=list(SchoolYear.objects.filter(start_date__lte=end, end_date__gte=start)),
            windows=windows_between(start, end),
        )

    @classmethod
    def from_reference(cls, data, start, end):
        """The same calendar built from the process's reference data (no query)."""
        return cls(
            start=start, end=end, closures=data.closures_between(start, end),
            school_years=data.school_years_between(start, end), windows=data.windows_between(start, end),
        )

    def registration_window(self, activity_id, day):
        """The ALSH registration window whose period holds `day` for this unit, or None."""
        return next((w for w in self.windows if activity_id in w.activity_ids and w.covers(day)), None)

    def school_year_of(self, day):
        return next((year for year in self.school_years if year.contains(day)), None)

    def closed_bookings_q(self):
        """A filter on Booking matching the bookings that fall on one of this range's closures
        (the `Closure` rows of `closure_reason`, as SQL), or None when there is none: a
        closure decided after the bookings keeps them, but nobody serves or bills them."""
        condition = None
        for closure in self.closures:
            q = Q(date__gte=max(closure.start_date, self.start), date__lte=min(closure.end_date, self.end))
            if closure.school_id is not None:
                q &= Q(child__school_id=closure.school_id)
            if closure.activity_id is not None:
                q &= Q(activity_id=closure.activity_id)
            if closure.kind == Closure.Kind.HOLIDAYS:
                # The accueil de loisirs runs in the holidays: its bookings exist only on the days
                # of its windows (`closure_reason` skips these closures for them).
                q &= ~Q(activity__kind=Activity.Kind.LEISURE)
            condition = q if condition is None else condition | q
        return condition

    def closure_reason(self, day, *, school_id=None, activity_id=None):
        """Why there is no service on `day` for this school and activity (French label), or None."""
        holiday = public_holiday_name(day)
        if holiday:
            return f"{PUBLIC_HOLIDAY_LABEL} ({holiday})"
        for closure in self.closures:
            if closure.applies_to(day=day, school_id=school_id, activity_id=activity_id):
                if closure.kind == Closure.Kind.HOLIDAYS and self.registration_window(activity_id, day) is not None:
                    continue  # the accueil de loisirs runs in the school holidays its windows cover
                return closure.name
        if self.school_year_of(day) is None:
            return "Hors année scolaire"
        return None

    def is_working_day(self, day):
        """A working day for deadline counting: not a weekend, a public holiday or a town-wide closure."""
        if day.weekday() >= 5 or is_public_holiday(day):
            return False
        return not any(
            c.school_id is None and c.activity_id is None and c.start_date <= day <= c.end_date for c in self.closures
        )


def service_day_problem(
    *,
    child: Child,
    activity: Activity,
    day: datetime.date,
    calendar: ServiceCalendar | None = None,
    enrolments: Iterable[Enrolment] | None = None,
) -> str | None:
    """Why `child` cannot have `activity` on `day` (French message), or None when it is a service
    day for an enrolled child of an accepted grade."""
    if not activity.accepts_grade(child.grade):
        return f"La prestation « {activity} » n'accepte pas les enfants de {child.grade}."
    if not activity.runs_on_weekday(day):
        return f"La prestation « {activity} » n'a pas lieu ce jour de la semaine."
    calendar = calendar or ServiceCalendar.load(day, day)
    reason = calendar.closure_reason(day, school_id=child.school_id, activity_id=activity.pk)
    if reason:
        return f"Pas de service ce jour-là : {reason}."
    if activity.is_leisure and calendar.registration_window(activity.pk, day) is None:
        return "Pas d'accueil de loisirs ce jour-là (aucune période d'inscription ne le couvre)."
    school_year = calendar.school_year_of(day)
    if enrolments is None:
        enrolled = Enrolment.objects.accepted().filter(child=child, activity=activity, school_year=school_year).exists()
    else:
        enrolled = any(
            e.child_id == child.pk and e.activity_id == activity.pk and e.school_year_id == school_year.pk
            and e.status == Enrolment.Status.ACCEPTED
            for e in enrolments
        )
    if not enrolled:
        return f"{child.first_name} n'est pas inscrit(e) à « {activity} » pour l'année {school_year}."
    return None


def service_days(
    *,
    child: Child,
    activity: Activity,
    start: datetime.date,
    end: datetime.date,
    calendar: ServiceCalendar | None = None,
) -> list[datetime.date]:
    """The days between `start` and `end` on which `activity` runs for `child`."""
    calendar = calendar or ServiceCalendar.load(start, end)
    enrolments = list(Enrolment.objects.filter(child=child, activity=activity))
    return [
        day
        for day in daterange(start, end)
        if service_day_problem(child=child, activity=activity, day=day, calendar=calendar, enrolments=enrolments) is None
    ]

"""Accueil de loisirs (ALSH): what is specific to its units beyond any activity's rules.

An ALSH unit is an `Activity` (one per age group and unit: « 3–5 ans — matin »), so its capacity
(`places_taken`, the `Activity` row lock at validation), its waiting list, tariffs, invoice lines
and attendance are those of every activity. What lives here: the week's minimum number of days of
a registration window, the planning staff print, the windows a family sees and their fill rate.
The window's opening and the age group are checked by `day_status` (core/services/bookings.py).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from core.models import Activity, Booking, Enrolment, Guardian, RegistrationWindow
from core.services import french_dates
from core.services.calendar import ServiceCalendar, daterange
from core.services.deadlines import Action
from core.services.reference import load_windows


def _week(day):
    return day - datetime.timedelta(days=day.weekday())


def min_days_problems(*, items: Iterable, bookings: Iterable[Booking], calendar: ServiceCalendar) -> dict[int, str]:
    """The basket's ALSH bookings refused by a window's minimum of days per week: per child, window
    and week, the days booked once the basket is applied (bookings kept, cancellations taken off)
    must be none or at least `min_days_per_week`. Returns {basket item id: French reason}."""
    items = list(items)
    concerned = [
        (item, calendar.registration_window(item.activity_id, item.date))
        for item in items if item.activity.is_leisure
    ]
    concerned = [(item, window) for item, window in concerned if window is not None and window.min_days_per_week]
    if not concerned:
        return {}
    cancelled = {(i.child_id, i.activity_id, i.date) for i in items if i.action == Action.CANCEL}
    days = defaultdict(set)  # (child, window, week) → days with at least one unit booked
    for booking in bookings:
        if booking.status != Booking.Status.BOOKED or (booking.child_id, booking.activity_id, booking.date) in cancelled:
            continue
        window = calendar.registration_window(booking.activity_id, booking.date)
        if window is not None:
            days[(booking.child_id, window.pk, _week(booking.date))].add(booking.date)
    for item, window in concerned:
        if item.action == Action.BOOK:
            days[(item.child_id, window.pk, _week(item.date))].add(item.date)
    problems = {}
    for item, window in concerned:
        count = len(days[(item.child_id, window.pk, _week(item.date))])
        if item.action == Action.BOOK and count < window.min_days_per_week:
            problems[item.pk] = (
                f"{item.child.first_name}, {item.activity.name}, {french_dates.short_label(item.date)} : "
                f"« {window.label} » se réserve au moins {window.min_days_per_week} jours dans la semaine "
                f"({count} choisi{'s' if count > 1 else ''})."
            )
    return problems


# --- Staff planning ----------------------------------------------------------------------------


@dataclass
class PlanningCell:
    day: datetime.date
    activity: Activity
    children: list  # Child, by name

    @property
    def count(self):
        return len(self.children)


@dataclass
class PlanningDay:
    day: datetime.date
    label: str  # « lundi 15 février »
    cells: list  # PlanningCell, by age group then unit


def leisure_planning(*, start: datetime.date, end: datetime.date) -> list[PlanningDay]:
    """The ALSH planning: per day, per age group and unit, the children booked (a day closed after
    the bookings keeps none), in two queries."""
    bookings = Booking.objects.active().between(start, end).filter(activity__kind=Activity.Kind.LEISURE)
    closed = ServiceCalendar.load(start, end).closed_bookings_q()
    if closed is not None:
        bookings = bookings.exclude(closed)
    booked = defaultdict(list)
    for booking in bookings.select_related("child__school", "activity").order_by("child__last_name", "child__first_name"):
        booked[(booking.date, booking.activity_id)].append(booking.child)
    activities = sorted(
        Activity.objects.filter(kind=Activity.Kind.LEISURE, is_active=True),
        key=lambda a: (a.min_age or 0, a.position, a.name),
    )
    planning = []
    for day in daterange(start, end):
        cells = [
            PlanningCell(day, activity, booked.get((day, activity.pk), []))
            for activity in activities if activity.runs_on_weekday(day) or (day, activity.pk) in booked
        ]
        if any(cell.count for cell in cells):
            planning.append(PlanningDay(day, french_dates.long_label(day), cells))
    return planning


# --- Windows: the family's view and the dashboard ----------------------------------------------


@dataclass
class WindowFill:
    window: RegistrationWindow
    booked: int
    places: int | None  # None when a unit has no capacity

    @property
    def rate(self):
        return round(100 * self.booked / self.places) if self.places else None


def window_fill(*, windows: Iterable[RegistrationWindow]) -> list[WindowFill]:
    """How full each window's period is: active bookings of its units over its days, against the
    units' capacity times their service days (what the dashboard shows live)."""
    windows = load_windows(windows)
    activities = Activity.objects.in_bulk({a for w in windows for a in w.activity_ids})
    fills = []
    for window in windows:
        units = [activities[pk] for pk in window.activity_ids]
        booked = Booking.objects.active().filter(
            activity_id__in=window.activity_ids, date__gte=window.start_date, date__lte=window.end_date
        ).count()
        places = None
        if units and all(u.capacity is not None for u in units):
            calendar = ServiceCalendar.load(window.start_date, window.end_date)
            places = sum(
                unit.capacity
                for unit in units for day in daterange(window.start_date, window.end_date)
                if unit.runs_on_weekday(day) and calendar.closure_reason(day, activity_id=unit.pk) is None
            )
        fills.append(WindowFill(window, booked, places))
    return fills


def windows_current(*, now: datetime.datetime) -> list[RegistrationWindow]:
    """Windows whose registration is open or opens later, and whose period is not over."""
    today = now.date()
    return list(
        RegistrationWindow.objects.filter(end_date__gte=today, closes_at__gte=now).order_by("opens_at", "start_date")
    )


@dataclass
class FamilyWindow:
    window: RegistrationWindow
    opening: datetime.datetime  # for this family (priority or not)
    is_open: bool
    opening_label: str
    closing_label: str
    period_label: str  # « du lundi 15 février au vendredi 26 février »
    weeks: list  # Mondays of the period, for the week grid links


def family_windows(*, guardian: Guardian, now: datetime.datetime) -> list[FamilyWindow]:
    """The ALSH windows open or to come for the units the household's children are enrolled in."""
    household = guardian.household
    enrolled = set(
        Enrolment.objects.accepted()
        .filter(child__household=household, activity__kind=Activity.Kind.LEISURE)
        .values_list("activity_id", flat=True)
    )
    windows = RegistrationWindow.objects.filter(
        Q(activities__in=enrolled), end_date__gte=now.date(), closes_at__gte=now
    ).distinct().order_by("start_date")
    found = []
    for window in windows:
        opening = window.opening_for(is_resident=household.is_resident)
        weeks = sorted({_week(d) for d in daterange(window.start_date, window.end_date)})
        found.append(FamilyWindow(
            window=window,
            opening=opening,
            is_open=window.is_open(now=now, is_resident=household.is_resident),
            opening_label=window.moment_label(opening),
            closing_label=window.moment_label(window.closes_at),
            period_label=f"du {french_dates.long_label(window.start_date)} au {french_dates.long_label(window.end_date)}",
            weeks=weeks,
        ))
    return found


def dashboard_windows(*, now: datetime.datetime) -> list[WindowFill]:
    return window_fill(windows=windows_current(now=now))



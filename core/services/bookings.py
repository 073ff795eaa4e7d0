"""Bookings: the state of a service day for a child (the week view) and the staff override.

`week_view` is a plain read function: the portal pages and the API both render what it returns.
Every state and deadline is computed here, on the server, from the database and `now`.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from core.models import AbsenceDay, AbsenceDeclaration, Activity, BasketItem, Booking, Child, Enrolment, Guardian, User
from core.services import french_dates
from core.services.calendar import ServiceCalendar, check_within_horizon, daterange, service_day_problem
from core.services.deadlines import CALENDAR_LOOKBACK, PARIS, Action, activity_deadline, deadline_label, is_past
from core.services.reference import reference_data


class CellState(StrEnum):
    BOOKED = "booked"
    NOT_BOOKED = "not_booked"
    LOCKED = "locked"
    CLOSED = "closed"


class Refusal(StrEnum):
    """Why a change of a day is refused, or a day of a period left out: the API's stable codes."""

    CLOSED = "closed"
    NOT_ENROLLED = "not_enrolled"
    FULL = "full"
    LOCKED = "locked"
    ALREADY_BOOKED = "already_booked"
    NOT_BOOKED = "not_booked"
    IN_BASKET = "in_basket"
    FORBIDDEN = "forbidden"
    NOT_OPEN = "not_open"  # ALSH: the registration window is not open yet
    MIN_DAYS = "min_days"  # ALSH: fewer days in the week than the window's minimum


NOT_ENROLLED_REASON = "Pas d'inscription pour cette année scolaire"
FULL_REASON = "Complet"
GRADE_REFUSED_REASON = "Classe non acceptée"
NO_WINDOW_REASON = "Pas de période d'inscription"
AGE_REFUSED_REASON = "Tranche d'âge différente"
PENDING_LABELS = {Action.BOOK: "réservation dans le panier", Action.CANCEL: "annulation dans le panier"}
# How a day a parent declared absent reads in the grid, by the declaration's decision.
ABSENCE_LABELS = {
    AbsenceDeclaration.Status.PENDING: "absence déclarée, à examiner",
    AbsenceDeclaration.Status.ACCEPTED: "absence justifiée, non facturée",
    AbsenceDeclaration.Status.REFUSED: "absence refusée, facturée",
}


@dataclass(frozen=True)
class DayStatus:
    """What the rules say about one (child, activity, day), before any basket change."""

    state: CellState
    is_booked: bool
    closure_reason: str | None = None
    closure_code: Refusal | None = None  # CLOSED, NOT_ENROLLED or FULL
    deadline: datetime.datetime | None = None  # to cancel when booked, to book otherwise

    @property
    def is_open(self):
        return self.state in (CellState.BOOKED, CellState.NOT_BOOKED)


def day_status(
    *,
    child: Child,
    activity: Activity,
    day: datetime.date,
    calendar: ServiceCalendar,
    enrolments: Iterable[Enrolment],
    booking: Booking | None,
    now: datetime.datetime,
    taken: int = 0,
) -> DayStatus:
    """The state of `activity` on `day` for `child`: closed (with the French reason), full when the
    activity's daily capacity is taken and the child has no place, locked when the deadline of the
    only possible action (cancel if booked, book otherwise) has passed, else booked or not booked.
    `enrolments` are the child's accepted enrolments, `booking` its row, `taken` the day's places
    already booked (see `places_taken`)."""
    is_booked = booking is not None and booking.status == Booking.Status.BOOKED
    reason = calendar.closure_reason(day, school_id=child.school_id, activity_id=activity.pk)
    if reason is None and not activity.runs_on_weekday(day):
        reason = f"Pas de service le {french_dates.weekday_name(day)}"
    if reason is None and not activity.accepts_grade(child.grade):
        reason = GRADE_REFUSED_REASON
    if reason is None:
        school_year = calendar.school_year_of(day)
        if not any(e.activity_id == activity.pk and e.school_year_id == school_year.pk for e in enrolments):
            reason = NOT_ENROLLED_REASON
    window = None
    if reason is None and activity.is_leisure:
        window = calendar.registration_window(activity.pk, day)
        if window is None:
            reason = NO_WINDOW_REASON
        elif not activity.accepts_age(child.age_on(window.start_date)):
            reason = AGE_REFUSED_REASON
    if reason is not None:
        code = Refusal.NOT_ENROLLED if reason == NOT_ENROLLED_REASON else Refusal.CLOSED
        return DayStatus(state=CellState.CLOSED, is_booked=is_booked, closure_reason=reason, closure_code=code)
    if window is not None and not is_booked:
        opening = window.opening_for(is_resident=child.household.is_resident)
        if now < opening:
            return DayStatus(
                state=CellState.CLOSED, is_booked=False, closure_code=Refusal.NOT_OPEN,
                closure_reason=f"Inscriptions à partir du {window.moment_label(opening)}",
            )
    if not is_booked and activity.capacity is not None and taken >= activity.capacity:
        return DayStatus(state=CellState.CLOSED, is_booked=False, closure_reason=FULL_REASON, closure_code=Refusal.FULL)
    action = Action.CANCEL if is_booked else Action.BOOK
    deadline = activity_deadline(activity=activity, day=day, action=action, calendar=calendar)
    if window is not None and action == Action.BOOK:
        deadline = min(deadline, window.closes_at.astimezone(PARIS))  # the window closes the bookings
    if is_past(deadline, now=now):
        state = CellState.LOCKED
    else:
        state = CellState.BOOKED if is_booked else CellState.NOT_BOOKED
    return DayStatus(state=state, is_booked=is_booked, deadline=deadline)


def places_taken(
    *, activities: Iterable[Activity], start: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    """Active bookings per (activity id, day) between `start` and `end`, for the activities that
    have a daily capacity (no query when none has)."""
    capped = [a.pk for a in activities if a.capacity is not None]
    if not capped:
        return {}
    rows = (
        Booking.objects.active().between(start, end).filter(activity_id__in=capped)
        .values_list("activity_id", "date").annotate(n=Count("*")).order_by()
    )
    return {(activity_id, day): n for activity_id, day, n in rows}


def child_day_status(*, child: Child, activity: Activity, day: datetime.date, now: datetime.datetime) -> DayStatus:
    """`day_status` of one (child, activity, day), its data loaded here (a few queries): for the
    services that act on a single day (waiting lists, absences)."""
    calendar = ServiceCalendar.load(day - CALENDAR_LOOKBACK, day)
    enrolments = list(Enrolment.objects.accepted().filter(child=child, activity=activity))
    booking = Booking.objects.filter(child=child, activity=activity, date=day).first()
    taken = places_taken(activities=[activity], start=day, end=day).get((activity.pk, day), 0)
    return day_status(
        child=child, activity=activity, day=day, calendar=calendar, enrolments=enrolments, booking=booking, now=now,
        taken=taken,
    )


# --- The week view ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingChange:
    item_id: int
    action: str  # "book" | "cancel"
    label: str  # "réservation dans le panier"


@dataclass(frozen=True)
class DayCell:
    date: datetime.date
    state: str  # CellState
    is_booked: bool  # a locked day may be booked or not
    closure_reason: str | None
    deadline: datetime.datetime | None  # aware, Europe/Paris; None when closed
    deadline_label: str | None  # "jeudi 14/09 à 10h00"
    pending: PendingChange | None
    can_change: bool  # a parent may put (or has put) a change for this day in the basket
    day_label: str  # "Lun. 18/09"
    absence: str | None  # the decision on the day's latest absence declaration (AbsenceDeclaration.Status)
    absence_label: str | None  # "absence déclarée, à examiner"
    status_label: str  # "réservé", "non réservé", "délai dépassé (réservé)", "fermé : Jour férié"
    # "Junior TEST, Repas maternelle, lundi 18 septembre : réservé": the child first, so that
    # siblings' cells never sound alike (RGAA 11.9)
    accessible_name: str


@dataclass(frozen=True)
class ActivityRow:
    activity_id: int
    activity_name: str
    cells: list[DayCell]


@dataclass(frozen=True)
class ChildWeek:
    child_id: int
    first_name: str
    full_name: str
    rows: list[ActivityRow]


@dataclass(frozen=True)
class WeekDay:
    date: datetime.date
    label: str  # "Lun. 18/09"
    long_label: str  # "lundi 18 septembre"


@dataclass(frozen=True)
class WeekView:
    week_start: datetime.date  # a Monday
    week_end: datetime.date  # the Sunday
    label: str  # "Semaine du 18/09/2023 au 22/09/2023"
    previous_week: datetime.date
    next_week: datetime.date
    days: list[WeekDay]  # the columns: Monday to Friday, plus a weekend day an activity runs on
    children: list[ChildWeek]
    pending_count: int  # changes in the guardian's basket, all weeks included
    generated_at: datetime.datetime = field(compare=False)


def _status_label(status, pending, absence=None):
    if status.state == CellState.CLOSED:
        text = f"fermé ({status.closure_reason})"
    elif status.state == CellState.LOCKED:
        text = f"{'réservé' if status.is_booked else 'non réservé'}, délai dépassé"
    else:
        text = "réservé" if status.is_booked else "non réservé"
    if pending is not None:
        text = f"{text}, {pending.label}"
    if absence is not None:
        text = f"{text}, {ABSENCE_LABELS[absence]}"
    return text


def _cell(*, child, activity, day, status, item, absence=None):
    pending = None
    if item is not None:
        pending = PendingChange(item_id=item.pk, action=item.action, label=PENDING_LABELS[Action(item.action)])
    status_label = _status_label(status, pending, absence)
    return DayCell(
        date=day,
        state=str(status.state),
        is_booked=status.is_booked,
        closure_reason=status.closure_reason,
        deadline=status.deadline,
        deadline_label=deadline_label(status.deadline) if status.deadline else None,
        pending=pending,
        can_change=status.is_open,
        day_label=french_dates.column_label(day),
        absence=absence,
        absence_label=ABSENCE_LABELS[absence] if absence else None,
        status_label=status_label,
        accessible_name=f"{child.full_name}, {activity.name}, {french_dates.long_label(day)} : {status_label}",
    )


class _EnrolmentRow(NamedTuple):
    child_id: int
    activity: Activity
    school_year_id: int

    @property
    def activity_id(self):
        return self.activity.pk


class _BookingRow(NamedTuple):
    status: str
    absence: str | None = None  # the latest absence declaration's status for the day


class _BasketRow(NamedTuple):
    pk: int
    child_id: int
    activity_id: int
    date: datetime.date
    action: str


def week_start_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_view(
    *, guardian: Guardian, day: datetime.date, now: datetime.datetime | None = None, reference=None
) -> WeekView:
    """The booking week containing `day` for the guardian's household: per child, per activity the
    child is enrolled in, per day the activity runs on, the day's state, deadline and pending
    basket change. A fixed number of queries, whatever the number of children or bookings.
    `reference` is the process's reference data when the caller already read them."""
    now = now or timezone.now()
    start = week_start_of(day)
    end = start + datetime.timedelta(days=6)
    reference = reference or reference_data()
    calendar = ServiceCalendar.from_reference(reference, start - CALENDAR_LOOKBACK, end)
    # The household's rows, as plain values and without ordering the database would sort for
    # nothing; activities, rules, closures and school years come from the reference data.
    children = list(
        Child.objects.filter(household_id=guardian.household_id).select_related("household")
        .only("id", "first_name", "last_name", "school_id", "grade", "birth_date", "household__is_resident")
    )
    years = [y.pk for y in reference.school_years_between(start, end)]
    enrolment_rows = list(
        Enrolment.objects.accepted()
        .filter(child__household_id=guardian.household_id, school_year_id__in=years)
        .values_list("child_id", "activity_id", "school_year_id").order_by()
    )
    if any(activity_id not in reference.activities for _, activity_id, _ in enrolment_rows):
        reference = reference_data(refresh=True)  # an activity committed after the token was read
        calendar = ServiceCalendar.from_reference(reference, start - CALENDAR_LOOKBACK, end)
    enrolments = sorted(
        (
            _EnrolmentRow(child_id, reference.activities[activity_id], school_year_id)
            for child_id, activity_id, school_year_id in enrolment_rows
            if reference.activities[activity_id].is_active
        ),
        key=lambda e: (e.activity.position, e.activity.name),
    )
    # A day declared absent is a booked day: its latest declaration's decision rides along with
    # the booking, in the same query.
    latest_absence = (
        AbsenceDay.objects.filter(
            declaration__child_id=OuterRef("child_id"), activity_id=OuterRef("activity_id"), date=OuterRef("date")
        ).order_by("-declaration__declared_at", "-declaration_id").values("declaration__status")[:1]
    )
    bookings = {
        (child_id, activity_id, booked_day): _BookingRow(status, absence)
        for child_id, activity_id, booked_day, status, absence in Booking.objects
        .filter(child__household_id=guardian.household_id).between(start, end)
        .annotate(absence=Subquery(latest_absence))
        .values_list("child_id", "activity_id", "date", "status", "absence").order_by()
    }
    basket_items = [
        _BasketRow(*row)
        for row in BasketItem.objects.filter(basket__guardian=guardian)
        .values_list("pk", "child_id", "activity_id", "date", "action").order_by()
    ]
    pending = {(i.child_id, i.activity_id, i.date): i for i in basket_items}
    taken = places_taken(activities={e.activity for e in enrolments}, start=start, end=end)

    # The columns: the weekdays the household's activities run on (Monday to Friday when none).
    weekdays = {wd for e in enrolments for wd in e.activity.weekdays} or {0, 1, 2, 3, 4}
    days = [d for d in daterange(start, end) if d.weekday() in weekdays]

    child_weeks = []
    for child in children:
        child_enrolments = [e for e in enrolments if e.child_id == child.pk]
        activities = list({e.activity_id: e.activity for e in child_enrolments}.values())
        rows = []
        for activity in activities:
            cells = []
            for cell_day in days:
                if not activity.runs_on_weekday(cell_day):
                    continue
                key = (child.pk, activity.pk, cell_day)
                status = day_status(
                    child=child, activity=activity, day=cell_day, calendar=calendar,
                    enrolments=child_enrolments, booking=bookings.get(key), now=now,
                    taken=taken.get((activity.pk, cell_day), 0),
                )
                booking = bookings.get(key)
                cells.append(_cell(
                    child=child, activity=activity, day=cell_day, status=status, item=pending.get(key),
                    absence=booking.absence if booking is not None else None,
                ))
            rows.append(ActivityRow(activity_id=activity.pk, activity_name=activity.name, cells=cells))
        child_weeks.append(ChildWeek(child_id=child.pk, first_name=child.first_name, full_name=child.full_name, rows=rows))

    last_weekday = max(days) if days else end
    return WeekView(
        week_start=start,
        week_end=end,
        label=f"Semaine du {start:%d/%m/%Y} au {last_weekday:%d/%m/%Y}",
        previous_week=start - datetime.timedelta(days=7),
        next_week=start + datetime.timedelta(days=7),
        days=[WeekDay(date=d, label=french_dates.column_label(d), long_label=french_dates.long_label(d)) for d in days],
        children=child_weeks,
        pending_count=len(basket_items),
        generated_at=now,
    )


# --- Staff override ---------------------------------------------------------------------------


def booking_override(
    *,
    child: Child,
    activity: Activity,
    day: datetime.date,
    action: Action | str,
    staff_user: User,
    now: datetime.datetime | None = None,
) -> Booking:
    """Staff book or cancel a child's day whatever the deadlines; the booking is recorded as an
    override made by staff. It must still be a service day for an enrolled child. A meal changed
    on a day whose order already went to the caterer sends a correction."""
    from core.services.caterer_orders import caterer_correction_if_locked

    now = now or timezone.now()
    booking = _override(child=child, activity=activity, day=day, action=action, staff_user=staff_user, now=now)
    if activity.kind == Activity.Kind.MEAL:
        caterer_correction_if_locked(school_id=child.school_id, day=day, now=now)
    return booking


def _override(*, child, activity, day, action, staff_user, now):
    from core.services import waiting_lists  # it reads the day's status from this module

    now = now or timezone.now()
    action = Action(action)
    check_within_horizon(day, today=now.astimezone(PARIS).date())
    with transaction.atomic():
        if activity.capacity is not None:
            waiting_lists.lock_activity(activity.pk)  # before the booking's row, as the basket does
        booking = Booking.objects.select_for_update().filter(child=child, activity=activity, date=day).first()
        if action == Action.CANCEL:
            if booking is None or booking.status != Booking.Status.BOOKED:
                raise ValidationError(f"{child.first_name} n'a pas de réservation à annuler ce jour-là.", code=Refusal.NOT_BOOKED)
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at, booking.cancelled_by = now, staff_user
            booking.source, booking.is_override = Booking.Source.STAFF, True
            booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "source", "is_override"])
            waiting_lists.waiting_list_promote(activity=activity, day=day, now=now)
            return booking
        problem = service_day_problem(child=child, activity=activity, day=day)
        if problem:
            raise ValidationError(problem, code=Refusal.CLOSED)
        if booking is not None and booking.status == Booking.Status.BOOKED:
            raise ValidationError(f"{child.first_name} est déjà inscrit(e) ce jour-là.", code=Refusal.ALREADY_BOOKED)
        values = {
            "status": Booking.Status.BOOKED, "booked_at": now, "booked_by": staff_user, "cancelled_at": None,
            "cancelled_by": None, "source": Booking.Source.STAFF, "is_override": True,
        }
        if booking is None:
            try:
                with transaction.atomic():
                    return Booking.objects.create(child=child, activity=activity, date=day, **values)
            except IntegrityError:
                raise ValidationError(f"{child.first_name} est déjà inscrit(e) ce jour-là.", code=Refusal.ALREADY_BOOKED) from None
        for name, value in values.items():
            setattr(booking, name, value)
        booking.save(update_fields=list(values))
        return booking

"""The basket (panier): pending bookings and cancellations of a guardian, and their validation.

Nothing a browser sends decides a state or a deadline: every change is checked against the rules
when it is added, and again at the instant of validation.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import emails
from core.models import Activity, Basket, BasketItem, Booking, Child, Enrolment, Guardian
from core.services import french_dates, leisure, waiting_lists
from core.services.bookings import CellState, Refusal, day_status, places_taken
from core.services.calendar import ServiceCalendar, check_within_horizon, daterange
from core.services.deadlines import CALENDAR_LOOKBACK, PARIS, Action, deadline_label
from core.services.reference import reference_data

MAX_PERIOD_DAYS = 366


# Why a day of a period booking may be left out (SkippedDay.code).
SKIP_CODES = (
    Refusal.CLOSED, Refusal.LOCKED, Refusal.ALREADY_BOOKED, Refusal.NOT_ENROLLED, Refusal.IN_BASKET, Refusal.FULL,
    Refusal.NOT_OPEN,
)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True)
class SkippedDay:
    child_id: int
    date: datetime.date
    code: str
    reason: str
    activity_id: int | None = None


@dataclass(frozen=True)
class PeriodResult:
    added: list  # BasketItem
    skipped: list  # SkippedDay


@dataclass(frozen=True)
class RefusedItem:
    item: BasketItem
    code: str
    reason: str


@dataclass(frozen=True)
class ValidationResult:
    validated_at: datetime.datetime
    booked: list  # Booking, booked by this validation
    cancelled: list  # Booking, cancelled by this validation
    unchanged: list  # BasketItem already in the wanted state: removed from the basket
    refused: list  # RefusedItem, left in the basket

    @property
    def applied_count(self):
        return len(self.booked) + len(self.cancelled)


class _Rules:
    """Everything needed to check changes between two dates for some children, loaded once."""

    def __init__(self, *, children, start, end, lock=False):
        child_ids = [c.pk for c in children]
        self.start, self.end = start, end
        self.taken = {}  # (activity id, day) → places booked, loaded per capped activity when needed
        self._taken_loaded = set()
        self.calendar = ServiceCalendar.from_reference(reference_data(), start - CALENDAR_LOOKBACK, end)
        self.enrolments = list(Enrolment.objects.accepted().filter(child_id__in=child_ids))
        bookings = Booking.objects.filter(child_id__in=child_ids).between(start, end)
        if lock:
            bookings = bookings.select_for_update()
        self.bookings = {(b.child_id, b.activity_id, b.date): b for b in bookings}

    def places_taken(self, activity, day):
        if activity.capacity is None:
            return 0
        if activity.pk not in self._taken_loaded:
            self.taken.update(places_taken(activities=[activity], start=self.start, end=self.end))
            self._taken_loaded.add(activity.pk)
        return self.taken.get((activity.pk, day), 0)

    def record(self, *, activity, day, change):
        """A place taken (+1) or given back (-1) by this validation."""
        if activity.capacity is not None:
            self.taken[(activity.pk, day)] = self.places_taken(activity, day) + change

    def status(self, *, child, activity, day, now):
        return day_status(
            child=child, activity=activity, day=day, calendar=self.calendar,
            enrolments=[e for e in self.enrolments if e.child_id == child.pk],
            booking=self.bookings.get((child.pk, activity.pk, day)), now=now,
            taken=self.places_taken(activity, day),
        )

    def problem(self, *, child, activity, day, action, now):
        """Why `action` cannot be put in the basket or applied now (None when it can)."""
        status = self.status(child=child, activity=activity, day=day, now=now)
        label = french_dates.short_label(day)
        if status.closure_code == Refusal.NOT_OPEN:
            return Problem(Refusal.NOT_OPEN, f"{child.first_name}, {activity.name}, {label} : {status.closure_reason[0].lower()}{status.closure_reason[1:]}.")
        if status.closure_code == Refusal.FULL:
            return Problem(Refusal.FULL, f"{child.first_name}, {activity.name}, {label} : complet, plus aucune place ce jour-là.")
        if status.state == CellState.CLOSED:
            return Problem(status.closure_code, f"{child.first_name}, {activity.name}, {label} : pas de service ({status.closure_reason}).")
        if action == Action.BOOK and status.is_booked:
            return Problem(Refusal.ALREADY_BOOKED, f"{child.first_name}, {activity.name}, {label} : déjà réservé.")
        if action == Action.CANCEL and not status.is_booked:
            return Problem(Refusal.NOT_BOOKED, f"{child.first_name}, {activity.name}, {label} : aucune réservation à annuler.")
        if status.state == CellState.LOCKED:
            verb = "réserver" if action == Action.BOOK else "annuler"
            return Problem(
                Refusal.LOCKED,
                f"{child.first_name}, {activity.name}, {label} : le délai pour {verb} est dépassé "
                f"(jusqu'au {deadline_label(status.deadline)}).",
            )
        return None


def _check_household(guardian, children):
    if any(child.household_id != guardian.household_id for child in children):
        raise PermissionDenied("Cet enfant n'appartient pas à votre foyer.")


def basket_get(*, guardian: Guardian) -> Basket:
    """The guardian's basket, created on first use (one per guardian)."""
    basket, _ = Basket.objects.get_or_create(guardian=guardian)
    return basket


def basket_items(*, guardian: Guardian, now: datetime.datetime | None = None) -> list[BasketItem]:
    """The basket's changes, each with the problem that would refuse it if validated now."""
    now = now or timezone.now()
    items = list(
        BasketItem.objects.filter(basket__guardian=guardian).select_related(
            "child__household", "activity__booking_rule", "activity__cancellation_rule"
        )
    )
    if not items:
        return []
    rules = _Rules(children={i.child for i in items}, start=min(i.date for i in items), end=max(i.date for i in items))
    for item in items:
        item.problem = rules.problem(child=item.child, activity=item.activity, day=item.date, action=item.action, now=now)
    return items


def basket_add(
    *,
    guardian: Guardian,
    child: Child,
    activity: Activity,
    day: datetime.date,
    action: Action | str,
    now: datetime.datetime | None = None,
) -> BasketItem:
    """Put one change in the guardian's basket, replacing any other change for that day; refused
    (ValidationError, French message) when the day is closed, locked or already in that state."""
    now = now or timezone.now()
    action = Action(action)
    _check_household(guardian, [child])
    check_within_horizon(day, today=now.astimezone(PARIS).date())
    with transaction.atomic():
        rules = _Rules(children=[child], start=day, end=day)
        problem = rules.problem(child=child, activity=activity, day=day, action=action, now=now)
        if problem:
            raise ValidationError(problem.message, code=problem.code)
        item, _ = BasketItem.objects.update_or_create(
            basket=basket_get(guardian=guardian), child=child, activity=activity, date=day,
            defaults={"action": action},
        )
        return item


def basket_remove(*, guardian: Guardian, item_id: int) -> None:
    """Take one change out of the guardian's basket (another guardian's item is not found)."""
    with transaction.atomic():
        deleted, _ = BasketItem.objects.filter(basket__guardian=guardian, pk=item_id).delete()
        if not deleted:
            raise BasketItem.DoesNotExist("Ce changement n'est pas dans votre panier.")


def basket_clear(*, guardian: Guardian) -> int:
    """Empty the guardian's basket; returns the number of changes removed."""
    with transaction.atomic():
        deleted, _ = BasketItem.objects.filter(basket__guardian=guardian).delete()
        return deleted


def _check_period(start, end, now):
    today = now.astimezone(PARIS).date()
    check_within_horizon(start, today=today)
    check_within_horizon(end, today=today)
    if end < start:
        raise ValidationError("La date de fin doit suivre la date de début.", code="invalid_period")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationError("La période ne peut pas dépasser un an.", code="invalid_period")


def enrolled_activities_of_kind(
    *, children: Iterable[Child], kind: str, start: datetime.date, end: datetime.date
) -> dict[int, list[Activity]]:
    """Per child id, the active activities of `kind` (« la cantine », « la garderie ») the child has
    an accepted enrolment in for a school year overlapping the period: siblings in different
    schools get their own meal (« Repas maternelle », « Repas primaire »)."""
    enrolments = (
        Enrolment.objects.accepted()
        .filter(child__in=list(children), activity__kind=kind, activity__is_active=True)
        .filter(school_year__start_date__lte=end, school_year__end_date__gte=start)
        .select_related("activity").order_by("activity__position", "activity__name")
    )
    found = defaultdict(dict)
    for enrolment in enrolments:
        found[enrolment.child_id][enrolment.activity_id] = enrolment.activity
    return {child_id: list(activities.values()) for child_id, activities in found.items()}


def basket_add_period(
    *,
    guardian: Guardian,
    children: Iterable[Child],
    start: datetime.date,
    end: datetime.date,
    weekdays: Iterable[int],
    activity: Activity | None = None,
    kind: str | None = None,
    now: datetime.datetime | None = None,
) -> PeriodResult:
    """Book `activity` — or every activity of `kind` each child is enrolled in — for one or several
    children of the household on the given weekdays between two dates: one basket change per open
    service day; every other day is listed with why."""
    now = now or timezone.now()
    children = list(children)
    _check_household(guardian, children)
    _check_period(start, end, now)
    weekdays = {int(w) for w in weekdays}
    if activity is not None:
        plan = [(child, activity, weekdays & set(activity.weekdays)) for child in children]
        if not weekdays & set(activity.weekdays):
            raise ValidationError(f"« {activity.name} » n'a lieu aucun des jours choisis.", code="no_service_weekday")
    else:
        by_child = enrolled_activities_of_kind(children=children, kind=kind, start=start, end=end)
        plan = [(child, a, weekdays & set(a.weekdays)) for child in children for a in by_child.get(child.pk, [])]
        if not plan:
            raise ValidationError("Aucun des enfants choisis n'est inscrit à ce service.", code=Refusal.NOT_ENROLLED)
        if not any(days for _, _, days in plan):
            raise ValidationError("Ce service n'a lieu aucun des jours choisis.", code="no_service_weekday")
    return basket_add_plan(guardian=guardian, plan=plan, start=start, end=end, now=now)


def basket_add_plan(
    *,
    guardian: Guardian,
    plan: Iterable[tuple[Child, Activity, set[int]]],
    start: datetime.date,
    end: datetime.date,
    now: datetime.datetime | None = None,
) -> PeriodResult:
    """Put in the basket, for each (child, activity, weekdays) of the plan, every open service day
    between two dates (period booking, the model week); every other day is listed with why."""
    now = now or timezone.now()
    plan = [(child, activity, set(days)) for child, activity, days in plan if days]
    _check_household(guardian, [child for child, _, _ in plan])
    _check_period(start, end, now)
    with transaction.atomic():
        basket = Basket.objects.select_for_update().get(pk=basket_get(guardian=guardian).pk)
        rules = _Rules(children={child for child, _, _ in plan}, start=start, end=end)
        in_basket = set(basket.items.values_list("child_id", "activity_id", "date"))
        skipped, new_items = [], []
        for child, activity, weekdays in plan:
            for day in daterange(start, end):
                if day.weekday() not in weekdays:
                    continue
                if (child.pk, activity.pk, day) in in_basket:
                    skipped.append(SkippedDay(child.pk, day, Refusal.IN_BASKET, "Déjà dans le panier.", activity.pk))
                    continue
                problem = rules.problem(child=child, activity=activity, day=day, action=Action.BOOK, now=now)
                if problem:
                    skipped.append(SkippedDay(child.pk, day, problem.code, problem.message, activity.pk))
                    continue
                new_items.append(BasketItem(basket=basket, child=child, activity=activity, date=day, action=Action.BOOK))
        added = BasketItem.objects.bulk_create(new_items)
        return PeriodResult(added=added, skipped=skipped)


def _book(*, item, booking, user, now):
    """Book the item's day: flip a cancelled row back, or create it (the unique constraint is the
    last line of defence). Returns the booking, or None when it was already booked."""
    values = {"booked_at": now, "booked_by": user, "source": Booking.Source.PORTAL, "is_override": False}
    if booking is not None:
        flipped = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CANCELLED).update(
            status=Booking.Status.BOOKED, cancelled_at=None, cancelled_by=None, **values
        )
        return _updated_in_place(booking.pk) if flipped else None
    created = Booking(child=item.child, activity=item.activity, date=item.date, status=Booking.Status.BOOKED, **values)
    created._history_user, created._history_date = user, now  # the history names the parent, with or without a request
    try:
        with transaction.atomic():
            created.save(force_insert=True)
            return created
    except IntegrityError:
        return None


def _cancel(*, booking, user, now):
    if booking is None:
        return None
    cancelled = Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
        status=Booking.Status.CANCELLED, cancelled_at=now, cancelled_by=user, source=Booking.Source.PORTAL,
        is_override=False,
    )
    return _updated_in_place(booking.pk) if cancelled else None


def _updated_in_place(pk):
    booking = Booking.objects.get(pk=pk)
    booking._updated_in_place = True
    return booking


def basket_validate(*, guardian: Guardian, now: datetime.datetime | None = None) -> ValidationResult:
    """Apply the guardian's basket atomically and once: every change is re-checked against its
    deadline now; valid ones are applied and leave the basket, expired ones are refused with a
    French reason and stay; the household's guardians get the "Validation du panier" email."""
    now = now or timezone.now()
    with transaction.atomic():
        basket = Basket.objects.select_for_update().filter(guardian=guardian).first()
        items = []
        if basket is not None:
            items = list(
                basket.items.select_related("child__household", "activity__booking_rule", "activity__cancellation_rule")
            )
        result = ValidationResult(validated_at=now, booked=[], cancelled=[], unchanged=[], refused=[])
        if not items:
            return result
        # Daily capacities: validations booking a capped activity take its row lock in turn, so that
        # each counts the places the previous one took (in id order: no deadlock).
        # A cancellation of a capped day takes the same lock: the place it frees goes to the day's
        # waiting list in this transaction (see core.services.waiting_lists).
        capped = sorted({i.activity_id for i in items if i.activity.capacity is not None})
        if capped:
            list(Activity.objects.select_for_update().filter(pk__in=capped).order_by("pk").values_list("pk", flat=True))
        rules = _Rules(
            children={i.child for i in items}, start=min(i.date for i in items), end=max(i.date for i in items), lock=True
        )
        done = []
        too_few = leisure.min_days_problems(items=items, bookings=rules.bookings.values(), calendar=rules.calendar)
        for item in items:
            if item.child.household_id != guardian.household_id:
                result.refused.append(RefusedItem(item, Refusal.FORBIDDEN, "Cet enfant n'appartient pas à votre foyer."))
                continue
            problem = rules.problem(child=item.child, activity=item.activity, day=item.date, action=item.action, now=now)
            if problem is None and item.pk in too_few:
                problem = Problem(Refusal.MIN_DAYS, too_few[item.pk])
            if problem and problem.code in (Refusal.ALREADY_BOOKED, Refusal.NOT_BOOKED):
                result.unchanged.append(item)
                done.append(item.pk)
                continue
            if problem:
                result.refused.append(RefusedItem(item, problem.code, problem.message))
                continue
            booking = rules.bookings.get((item.child_id, item.activity_id, item.date))
            if item.action == Action.BOOK:
                applied = _book(item=item, booking=booking, user=guardian.user, now=now)
                (result.booked if applied else result.unchanged).append(applied or item)
            else:
                applied = _cancel(booking=booking, user=guardian.user, now=now)
                (result.cancelled if applied else result.unchanged).append(applied or item)
            if applied:
                rules.record(activity=item.activity, day=item.date, change=1 if item.action == Action.BOOK else -1)
            done.append(item.pk)
        BasketItem.objects.filter(pk__in=done).delete()
        # Cancellations and re-bookings are conditional UPDATEs, which Django's signals (and so the
        # bookings' history) do not see: record them here, as staff read them on the dashboard.
        changed = [b for b in (*result.booked, *result.cancelled) if getattr(b, "_updated_in_place", False)]
        Booking.history.bulk_history_create(changed, update=True, default_user=guardian.user, default_date=now)
        if result.applied_count:
            _send_confirmation(guardian=guardian, result=result)
        freed = {(b.activity_id, b.date) for b in result.cancelled if b.activity.capacity is not None}
        if freed:
            waiting_lists.waiting_lists_promote(places=freed, now=now)
        return result


def _planning(bookings):
    """Bookings grouped per child then activity, for the email: count and French dates."""
    grouped = defaultdict(lambda: defaultdict(list))
    for booking in sorted(bookings, key=lambda b: (b.child.first_name, b.child_id, b.activity.position, b.activity.name, b.date)):
        grouped[booking.child][booking.activity].append(booking.date)
    return [
        {
            "child": child.full_name,
            "lines": [
                {
                    "count": len(days),
                    "activity": activity.name.upper(),
                    "dates": ", ".join(french_dates.short_label(d) for d in days),
                    "days": [french_dates.short_label(d) for d in days],
                }
                for activity, days in activities.items()
            ],
        }
        for child, activities in grouped.items()
    ]


def _send_confirmation(*, guardian, result):
    household = guardian.household
    local = result.validated_at.astimezone(PARIS)
    emails.queue_email(
        kind="basket_validation",
        recipients=[g.email for g in household.guardians.all() if g.email],
        household=household,
        context={
            "validated_at": f"{local:%d/%m/%Y} à {local:%H}h{local:%M}",
            "validated_by": guardian.display_name,
            "bookings": _planning(result.booked),
            "cancellations": _planning(result.cancelled),
        },
    )

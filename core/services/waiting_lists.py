"""Waiting lists (listes d'attente): a parent queues a child for a full day; when a place frees
before the booking deadline, the first child on the list gets it at once (booking created, email
sent); after the deadline the list closes.

Every change of a capped day's places happens under the row lock of its `Activity` (the basket's
validation, staff overrides, promotions): so a promotion counts the places the previous change
left, and a day never goes over its capacity nor loses a promotion.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import emails
from core.constants import PARIS
from core.models import Activity, Booking, Child, Guardian, User, WaitingListEntry
from core.services import french_dates
from core.services.bookings import Refusal, child_day_status
from core.services.deadlines import Action, activity_deadline, deadline_label, is_past


class WaitingRefusal:
    """Why a child cannot join a waiting list (ValidationError codes)."""

    NOT_CAPPED = "not_capped"
    NOT_FULL = "not_full"
    CLOSED = "list_closed"
    ALREADY_WAITING = "already_waiting"


def waiting_list_deadline(*, activity: Activity, day: datetime.date) -> datetime.datetime:
    """The list of a day closes with the day's booking deadline: no place is given after it."""
    return activity_deadline(activity=activity, day=day, action=Action.BOOK)


def lock_activity(activity_id: int) -> None:
    """Take the row lock that serializes every change of a capped activity's places."""
    list(Activity.objects.select_for_update().filter(pk=activity_id).values_list("pk", flat=True))


def waiting_list_join(
    *, guardian: Guardian, child: Child, activity: Activity, day: datetime.date, now: datetime.datetime | None = None
) -> WaitingListEntry:
    """Queue the child for a full day, at the end of the list; refused (ValidationError, French
    message) when the day is not full, the child cannot book it, or the list is closed."""
    now = now or timezone.now()
    if child.household_id != guardian.household_id:
        raise PermissionDenied("Cet enfant n'appartient pas à votre foyer.")
    label = f"{child.first_name}, {activity.name}, {french_dates.short_label(day)}"
    if activity.capacity is None:
        raise ValidationError(f"{label} : cette prestation n'a pas de liste d'attente.", code=WaitingRefusal.NOT_CAPPED)
    with transaction.atomic():
        lock_activity(activity.pk)
        status = child_day_status(child=child, activity=activity, day=day, now=now)
        if status.is_booked:
            raise ValidationError(f"{label} : déjà réservé.", code=Refusal.ALREADY_BOOKED)
        if status.closure_code != Refusal.FULL:
            if status.closure_code is not None:
                raise ValidationError(f"{label} : pas de service ({status.closure_reason}).", code=status.closure_code)
            raise ValidationError(
                f"{label} : il reste des places, réservez ce jour dans le panier.", code=WaitingRefusal.NOT_FULL
            )
        deadline = waiting_list_deadline(activity=activity, day=day)
        if is_past(deadline, now=now):
            raise ValidationError(
                f"{label} : la liste d'attente est close depuis le {deadline_label(deadline)}.", code=WaitingRefusal.CLOSED
            )
        queue = WaitingListEntry.objects.waiting().filter(activity=activity, date=day)
        if queue.filter(child=child).exists():
            raise ValidationError(f"{label} : déjà sur la liste d'attente.", code=WaitingRefusal.ALREADY_WAITING)
        last = queue.aggregate(last=Max("position"))["last"] or 0
        return WaitingListEntry.objects.create(
            child=child, activity=activity, date=day, position=last + 1, joined_at=now, joined_by=guardian.user
        )


def waiting_list_leave(*, guardian: Guardian, entry_id: int, now: datetime.datetime | None = None) -> WaitingListEntry:
    """Take a child of the guardian's household off a list (another household's entry is not found)."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = (
            WaitingListEntry.objects.select_for_update()
            .filter(child__household_id=guardian.household_id, status=WaitingListEntry.Status.WAITING)
            .get(pk=entry_id)
        )
        entry.status, entry.ended_at = WaitingListEntry.Status.LEFT, now
        entry.save(update_fields=["status", "ended_at"])
        return entry


def waiting_list_positions(entries: list[WaitingListEntry]) -> dict[int, int]:
    """Rank (1 = next served) of each waiting entry among the entries still waiting for its day."""
    keys = {(e.activity_id, e.date) for e in entries}
    if not keys:
        return {}
    queues = WaitingListEntry.objects.waiting().filter(
        activity_id__in={a for a, _ in keys}, date__in={d for _, d in keys}
    ).in_order().values_list("pk", "activity_id", "date")
    ranks, counters = {}, {}
    for pk, activity_id, day in queues:
        counters[(activity_id, day)] = counters.get((activity_id, day), 0) + 1
        ranks[pk] = counters[(activity_id, day)]
    return ranks


def waiting_list_promote(
    *, activity: Activity, day: datetime.date, now: datetime.datetime | None = None
) -> list[WaitingListEntry]:
    """Give the day's free places to the first children on its list, in order, before the booking
    deadline (each gets a booking and the household an email); after it, close the list. Called
    by every path that frees a place, inside its transaction."""
    now = now or timezone.now()
    if activity.capacity is None:
        return []
    promoted = []
    with transaction.atomic():
        lock_activity(activity.pk)
        queue = WaitingListEntry.objects.select_for_update(of=("self",)).waiting().filter(activity=activity, date=day)
        if is_past(waiting_list_deadline(activity=activity, day=day), now=now):
            queue.update(status=WaitingListEntry.Status.CLOSED, ended_at=now)
            return []
        taken = Booking.objects.active().filter(activity=activity, date=day).count()
        for entry in queue.in_order().select_related("child", "joined_by"):
            if taken >= activity.capacity:
                break
            status = child_day_status(child=entry.child, activity=activity, day=day, now=now)
            if status.is_booked or (status.closure_code is not None and status.closure_code != Refusal.FULL):
                # Booked meanwhile, or no longer enrolled: the entry leaves the list without a place.
                entry.status, entry.ended_at = WaitingListEntry.Status.CLOSED, now
                entry.save(update_fields=["status", "ended_at"])
                continue
            entry.booking = _book(entry=entry, user=entry.joined_by, now=now)
            entry.status, entry.ended_at = WaitingListEntry.Status.PROMOTED, now
            entry.save(update_fields=["status", "ended_at", "booking"])
            taken += 1
            promoted.append(entry)
            _send_promoted(entry)
    return promoted


def waiting_lists_promote(
    *, places: set[tuple[int, datetime.date]], now: datetime.datetime | None = None
) -> list[WaitingListEntry]:
    """`waiting_list_promote` for each (activity id, day) that got a place back, in a fixed order."""
    activities = Activity.objects.in_bulk({a for a, _ in places})
    promoted = []
    for activity_id, day in sorted(places):
        promoted += waiting_list_promote(activity=activities[activity_id], day=day, now=now)
    return promoted


def _book(*, entry, user: User | None, now):
    booking = Booking.objects.select_for_update().filter(child=entry.child, activity=entry.activity, date=entry.date).first()
    values = {
        "status": Booking.Status.BOOKED, "booked_at": now, "booked_by": user, "cancelled_at": None, "cancelled_by": None,
        "source": Booking.Source.WAITING_LIST, "is_override": False,
    }
    if booking is None:
        return Booking.objects.create(child=entry.child, activity=entry.activity, date=entry.date, **values)
    for name, value in values.items():
        setattr(booking, name, value)
    booking.save(update_fields=list(values))
    return booking


def _send_promoted(entry):
    household = entry.child.household
    emails.queue_email(
        kind="waiting_list_promoted",
        recipients=[g.email for g in household.guardians.all() if g.email],
        household=household,
        context={
            "child": entry.child.full_name,
            "activity": entry.activity.name,
            "day": french_dates.long_label(entry.date),
            "promoted_at": _moment_label(entry.ended_at),
        },
    )


def _moment_label(moment: datetime.datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H}h{local:%M}"


import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Booking, EmailLog, WaitingListEntry
from core.services.basket import basket_add, basket_validate
from core.services.bookings import booking_override
from core.services.deadlines import PARIS
from core.services.waiting_lists import (
    waiting_list_join,
    waiting_list_leave,
    waiting_list_positions,
    waiting_list_promote,
)
from tests import factories
from tests.core.test_basket import _run_concurrently


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


EARLY = paris(2026, 11, 20, 9, 0)
MONDAY = datetime.date(2026, 12, 7)
LATE = paris(2026, 12, 4, 11, 0)  # after the J-2 working days 10:00 booking deadline of MONDAY


@pytest.fixture
def one_place(town):
    town.repas_maternelle.capacity = 1
    town.repas_maternelle.save()
    return town.repas_maternelle


@pytest.fixture
def full_day(one_place, other_family):
    """Zoé holds the only place of MONDAY."""
    return factories.BookingFactory(child=other_family.children[0], activity=one_place, date=MONDAY)


def cancel_through_basket(family, booking, now=EARLY):
    basket_add(guardian=family.parent, child=booking.child, activity=booking.activity, day=booking.date, action="cancel", now=now)
    return basket_validate(guardian=family.parent, now=now)


def test_a_parent_joins_the_list_of_a_full_day_at_its_end(family, separated_couple, full_day, one_place):
    first = waiting_list_join(guardian=family.parent, child=family.children[0], activity=one_place, day=MONDAY, now=EARLY)
    tom = separated_couple.children[0]
    second = waiting_list_join(guardian=separated_couple.parent, child=tom, activity=one_place, day=MONDAY, now=EARLY)
    assert (first.position, second.position) == (1, 2)
    assert waiting_list_positions([first, second]) == {first.pk: 1, second.pk: 2}


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("free", "not_full", "il reste des places"),
        ("late", "list_closed", "la liste d'attente est close"),
        ("twice", "already_waiting", "déjà sur la liste d'attente"),
    ],
)
def test_joining_is_refused_when_the_day_is_not_full_closed_or_already_joined(family, other_family, one_place, setup, code, message):
    junior = family.children[0]
    now = EARLY
    if setup != "free":
        factories.BookingFactory(child=other_family.children[0], activity=one_place, date=MONDAY)
    if setup == "late":
        now = LATE
    if setup == "twice":
        waiting_list_join(guardian=family.parent, child=junior, activity=one_place, day=MONDAY, now=now)
    with pytest.raises(ValidationError) as refused:
        waiting_list_join(guardian=family.parent, child=junior, activity=one_place, day=MONDAY, now=now)
    assert refused.value.code == code and message in refused.value.messages[0]


def test_a_parent_cannot_queue_another_households_child(family, other_family, full_day, one_place):
    with pytest.raises(PermissionDenied):
        waiting_list_join(guardian=family.parent, child=other_family.children[0], activity=one_place, day=MONDAY, now=EARLY)


def test_a_validated_cancellation_gives_the_place_to_the_first_on_the_list(family, other_family, separated_couple, full_day, one_place):
    junior, tom = family.children[0], separated_couple.children[0]
    first = waiting_list_join(guardian=family.parent, child=junior, activity=one_place, day=MONDAY, now=EARLY)
    second = waiting_list_join(guardian=separated_couple.parent, child=tom, activity=one_place, day=MONDAY, now=EARLY)

    cancel_through_basket(other_family, full_day)

    booking = Booking.objects.active().get(activity=one_place, date=MONDAY)
    assert booking.child == junior and booking.source == Booking.Source.WAITING_LIST
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.booking) == ("promoted", booking)
    assert second.status == "waiting" and waiting_list_positions([second]) == {second.pk: 1}
    [email] = EmailLog.objects.filter(kind="waiting_list_promoted")
    assert email.recipient == "parent@example.org"
    assert "Junior" in email.subject and "lundi 7 décembre" in email.subject


def test_a_staff_cancellation_promotes_too_and_staff_order_decides(family, other_family, separated_couple, full_day, one_place, staff_agent):
    junior, tom = family.children[0], separated_couple.children[0]
    first = waiting_list_join(guardian=family.parent, child=junior, activity=one_place, day=MONDAY, now=EARLY)
    second = waiting_list_join(guardian=separated_couple.parent, child=tom, activity=one_place, day=MONDAY, now=EARLY)
    WaitingListEntry.objects.filter(pk=second.pk).update(position=0)  # staff moved Tom up

    booking_override(child=full_day.child, activity=one_place, day=MONDAY, action="cancel", staff_user=staff_agent, now=EARLY)

    assert Booking.objects.active().get(activity=one_place, date=MONDAY).child == tom
    first.refresh_from_db()
    assert first.status == "waiting"


def test_a_child_who_left_the_list_is_skipped(family, other_family, full_day, one_place):
    entry = waiting_list_join(guardian=family.parent, child=family.children[0], activity=one_place, day=MONDAY, now=EARLY)
    waiting_list_leave(guardian=family.parent, entry_id=entry.pk, now=EARLY)
    cancel_through_basket(other_family, full_day)
    assert not Booking.objects.active().filter(activity=one_place, date=MONDAY).exists()
    entry.refresh_from_db()
    assert entry.status == "left"


def test_another_household_cannot_take_a_child_off_the_list(family, other_family, full_day, one_place):
    entry = waiting_list_join(guardian=family.parent, child=family.children[0], activity=one_place, day=MONDAY, now=EARLY)
    with pytest.raises(WaitingListEntry.DoesNotExist):
        waiting_list_leave(guardian=other_family.parent, entry_id=entry.pk, now=EARLY)


def test_after_the_booking_deadline_the_list_closes_and_gives_no_place(family, other_family, full_day, one_place, staff_agent):
    entry = waiting_list_join(guardian=family.parent, child=family.children[0], activity=one_place, day=MONDAY, now=EARLY)
    booking_override(child=full_day.child, activity=one_place, day=MONDAY, action="cancel", staff_user=staff_agent, now=LATE)
    assert not Booking.objects.active().filter(activity=one_place, date=MONDAY).exists()
    entry.refresh_from_db()
    assert entry.status == "closed"
    assert not EmailLog.objects.filter(kind="waiting_list_promoted").exists()


def test_promotion_fills_every_free_place_and_no_more(family, other_family, separated_couple, one_place):
    one_place.capacity = 2
    one_place.save()
    junior, tom, zoe = family.children[0], separated_couple.children[0], other_family.children[0]
    for child in (junior, tom):
        factories.BookingFactory(child=child, activity=one_place, date=MONDAY)
    entry = waiting_list_join(guardian=other_family.parent, child=zoe, activity=one_place, day=MONDAY, now=EARLY)
    assert waiting_list_promote(activity=one_place, day=MONDAY, now=EARLY) == []  # still full
    Booking.objects.filter(child=junior).update(status="cancelled", cancelled_at=EARLY)
    Booking.objects.filter(child=tom).update(status="cancelled", cancelled_at=EARLY)
    assert [e.pk for e in waiting_list_promote(activity=one_place, day=MONDAY, now=EARLY)] == [entry.pk]
    assert Booking.objects.active().filter(activity=one_place, date=MONDAY).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_every_waiting_child_once_within_capacity(town, staff_agent):
    """Three places, all taken; three children wait. The three holders cancel at once (two through
    their basket, one by staff) while a fourth household tries to book: every freed place goes to
    the list, in order, and the day never exceeds its capacity."""
    activity = town.repas_maternelle
    activity.capacity = 3
    activity.save()

    def household(name):
        home = factories.HouseholdFactory(reference=name, name=name)
        parent = factories.ParentFactory(household=home, email=f"{name.lower()}@example.org")
        child = factories.ChildFactory(household=home, first_name=name.title(), grade="MS", school=town.maternelle)
        factories.EnrolmentFactory(child=child, activity=activity, school_year=town.school_year)
        return parent, child

    holders = [household(f"TENANT{i}") for i in range(3)]
    waiting = [household(f"WAITER{i}") for i in range(3)]
    late_booker = household("LATECOMER")
    for _, child in holders:
        factories.BookingFactory(child=child, activity=activity, date=MONDAY)
    for parent, child in waiting:
        waiting_list_join(guardian=parent, child=child, activity=activity, day=MONDAY, now=EARLY)
    for parent, child in holders[:2]:
        basket_add(guardian=parent, child=child, activity=activity, day=MONDAY, action="cancel", now=EARLY)
    # The latecomer put the day in the basket before it was full; the list goes first now.
    from core.models import BasketItem, Basket

    basket = Basket.objects.create(guardian=late_booker[0])
    BasketItem.objects.create(basket=basket, child=late_booker[1], activity=activity, date=MONDAY, action="book")

    _run_concurrently(
        lambda: basket_validate(guardian=holders[0][0], now=EARLY),
        lambda: basket_validate(guardian=holders[1][0], now=EARLY),
        lambda: booking_override(child=holders[2][1], activity=activity, day=MONDAY, action="cancel", staff_user=staff_agent, now=EARLY),
        lambda: basket_validate(guardian=late_booker[0], now=EARLY),
    )

    active = set(Booking.objects.active().filter(activity=activity, date=MONDAY).values_list("child_id", flat=True))
    assert len(active) <= 3
    promoted = set(WaitingListEntry.objects.filter(status="promoted").values_list("child_id", flat=True))
    # Every place freed is taken by someone: no promotion lost while anyone waits.
    assert active == promoted | ({late_booker[1].pk} & active)
    assert len(active) == 3
    assert EmailLog.objects.filter(kind="waiting_list_promoted").count() == len(promoted)
    # Served in list order: no one waits while someone behind was served.
    ranks = {e.child_id: e.position for e in WaitingListEntry.objects.all()}
    still_waiting = [ranks[c.pk] for _, c in waiting if c.pk not in promoted]
    assert all(ranks[c] < r for c in promoted for r in still_waiting)

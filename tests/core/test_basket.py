import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core.models import BasketItem, Booking, EmailLog
from core.services.basket import (
    basket_add,
    basket_add_period,
    basket_clear,
    basket_items,
    basket_remove,
    basket_validate,
)
from core.services.bookings import booking_override, week_view
from core.services.calendar import BOOKING_HORIZON, OUT_OF_HORIZON, within_horizon
from core.services.deadlines import PARIS
from tests import factories
from tests.figures import RACES


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def day(month, dom, year=None):
    return datetime.date(year or (2026 if month >= 9 else 2027), month, dom)


EARLY = paris(2026, 11, 20, 9, 0)


def add(family, child, activity, date, action="book", now=EARLY, guardian=None):
    return basket_add(guardian=guardian or family.parent, child=child, activity=activity, day=date, action=action, now=now)


# --- Adding and removing ------------------------------------------------------------------------


def test_a_change_on_an_open_day_goes_in_the_basket(family, town):
    junior = family.children[0]
    item = add(family, junior, town.repas_maternelle, day(12, 7))
    assert item.basket.guardian == family.parent and item.action == "book"
    assert [i.pk for i in basket_items(guardian=family.parent, now=EARLY)] == [item.pk]
    assert Booking.objects.count() == 0


def test_a_second_change_for_the_same_day_replaces_the_first(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day(12, 7))
    first = add(family, junior, town.repas_maternelle, day(12, 7), action="cancel")
    again = add(family, junior, town.repas_maternelle, day(12, 7), action="cancel")
    assert first.pk == again.pk and BasketItem.objects.count() == 1


@pytest.mark.parametrize(
    ("date", "action", "code", "message"),
    [
        (day(12, 9), "book", "closed", "Pas de service le mercredi"),  # a Wednesday: not a service weekday
        (day(5, 6), "book", "closed", "Jour férié (Ascension)"),
        (day(10, 19), "book", "closed", "Vacances de la Toussaint"),
        (day(11, 23), "book", "locked", "le délai pour réserver est dépassé (jusqu'au jeudi 19/11 à 10h00)"),
        (day(12, 7), "cancel", "not_booked", "aucune réservation à annuler"),
    ],
)
def test_a_change_the_rules_forbid_is_refused_with_a_french_reason(family, town, date, action, code, message):
    with pytest.raises(ValidationError) as error:
        add(family, family.children[0], town.repas_maternelle, date, action=action)
    assert error.value.code == code and message in error.value.messages[0]
    assert BasketItem.objects.count() == 0


def test_booking_an_already_booked_day_is_refused(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day(12, 7))
    with pytest.raises(ValidationError, match="déjà réservé"):
        add(family, junior, town.repas_maternelle, day(12, 7))


def test_a_child_of_another_household_is_refused(family, other_family, town):
    with pytest.raises(PermissionDenied):
        add(family, other_family.children[0], town.repas_maternelle, day(12, 7))


def test_remove_and_clear(family, town, other_family):
    junior = family.children[0]
    first = add(family, junior, town.repas_maternelle, day(12, 7))
    add(family, junior, town.repas_maternelle, day(12, 10))
    basket_remove(guardian=family.parent, item_id=first.pk)
    assert BasketItem.objects.count() == 1
    with pytest.raises(BasketItem.DoesNotExist):
        basket_remove(guardian=other_family.parent, item_id=BasketItem.objects.get().pk)
    assert basket_clear(guardian=family.parent) == 1 and BasketItem.objects.count() == 0


def test_the_basket_shows_an_item_that_expired_since_it_was_added(family, town):
    add(family, family.children[0], town.repas_maternelle, day(12, 7))
    [item] = basket_items(guardian=family.parent, now=paris(2026, 12, 4, 9, 0))
    assert item.problem.code == "locked" and "dépassé" in item.problem.message


# --- Period booking ------------------------------------------------------------------------------


def test_period_booking_skips_the_holidays_and_says_why(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day(11, 9))
    result = basket_add_period(
        guardian=family.parent, children=[junior], activity=town.repas_maternelle,
        start=day(10, 5), end=day(11, 13), weekdays=[0, 3], now=paris(2026, 10, 1, 11, 0),
    )
    assert [i.date for i in result.added] == [day(10, 8), day(10, 12), day(10, 15), day(11, 2), day(11, 5), day(11, 12)]
    skipped = {s.date: s.code for s in result.skipped}
    assert skipped == {
        day(10, 5): "locked",  # two working days before: Thursday 1 October at 10:00
        day(10, 19): "closed", day(10, 22): "closed", day(10, 26): "closed", day(10, 29): "closed",
        day(11, 9): "already_booked",
    }
    assert "Vacances de la Toussaint" in next(s.reason for s in result.skipped if s.code == "closed")
    assert BasketItem.objects.filter(basket__guardian=family.parent).count() == 6


def test_period_booking_for_siblings_at_once(family, town):
    junior, lise = family.children
    factories.EnrolmentFactory(child=junior, activity=town.garderie_soir, school_year=town.school_year)
    result = basket_add_period(
        guardian=family.parent, children=[junior, lise], activity=town.garderie_soir,
        start=day(12, 7), end=day(12, 18), weekdays=[1, 4], now=EARLY,
    )
    assert sorted((i.child_id, i.date) for i in result.added) == sorted(
        (child.pk, date) for child in (junior, lise) for date in (day(12, 8), day(12, 11), day(12, 15), day(12, 18))
    )
    assert result.skipped == []


def test_period_booking_tells_a_child_is_not_enrolled_and_that_a_day_is_already_in_the_basket(family, town):
    junior, lise = family.children
    add(family, junior, town.repas_maternelle, day(12, 7))
    result = basket_add_period(
        guardian=family.parent, children=[junior, lise], activity=town.repas_maternelle,
        start=day(12, 7), end=day(12, 8), weekdays=[0, 1], now=EARLY,
    )
    assert [(i.child_id, i.date) for i in result.added] == [(junior.pk, day(12, 8))]
    assert {(s.child_id, s.date, s.code) for s in result.skipped} == {
        (junior.pk, day(12, 7), "in_basket"),
        (lise.pk, day(12, 7), "closed"),  # Lise (CE1) is of a grade Repas maternelle does not accept
        (lise.pk, day(12, 8), "closed"),
    }


def test_period_booking_of_a_child_not_enrolled(family, town):
    junior = family.children[0]
    result = basket_add_period(
        guardian=family.parent, children=[junior], activity=town.garderie_soir,
        start=day(12, 7), end=day(12, 7), weekdays=[0], now=EARLY,
    )
    assert [s.code for s in result.skipped] == ["not_enrolled"] and result.added == []


def test_period_booking_refuses_bad_periods_and_other_households(family, other_family, town):
    junior = family.children[0]
    kwargs = {"guardian": family.parent, "activity": town.repas_maternelle, "now": EARLY}
    with pytest.raises(ValidationError, match="fin doit suivre"):
        basket_add_period(children=[junior], start=day(12, 8), end=day(12, 7), weekdays=[0], **kwargs)
    with pytest.raises(ValidationError, match="aucun des jours choisis"):
        basket_add_period(children=[junior], start=day(12, 7), end=day(12, 18), weekdays=[2, 5], **kwargs)
    with pytest.raises(PermissionDenied):
        basket_add_period(children=[junior, other_family.children[0]], start=day(12, 7), end=day(12, 8), weekdays=[0], **kwargs)


FAR_DAYS = [datetime.date(1, 1, 1), datetime.date(9999, 12, 31), EARLY.date() + BOOKING_HORIZON + datetime.timedelta(days=1)]


@pytest.mark.parametrize("far", FAR_DAYS)
def test_a_day_beyond_the_booking_horizon_is_refused_in_french(family, town, far):
    with pytest.raises(ValidationError, match="moins de deux ans") as refused:
        add(family, family.children[0], town.repas_maternelle, far)
    assert refused.value.code == OUT_OF_HORIZON
    start, end = (far, day(12, 7)) if far < EARLY.date() else (day(12, 7), far)
    with pytest.raises(ValidationError, match="moins de deux ans"):
        basket_add_period(guardian=family.parent, children=family.children[:1], activity=town.repas_maternelle,
                          start=start, end=end, weekdays=[0], now=EARLY)
    assert not BasketItem.objects.exists()


def test_the_booking_horizon_is_the_same_both_ways(family, town):
    edge = EARLY.date() + BOOKING_HORIZON
    assert within_horizon(edge, today=EARLY.date()) and within_horizon(EARLY.date() - BOOKING_HORIZON, today=EARLY.date())
    assert not within_horizon(edge + datetime.timedelta(days=1), today=EARLY.date())


# --- Validation ----------------------------------------------------------------------------------


def test_validation_books_records_who_and_when_and_empties_the_basket(family, town, django_capture_on_commit_callbacks):
    junior = family.children[0]
    add(family, junior, town.repas_maternelle, day(12, 7))
    add(family, junior, town.repas_maternelle, day(12, 10))
    now = paris(2026, 11, 25, 14, 28)
    with django_capture_on_commit_callbacks(execute=True):
        result = basket_validate(guardian=family.parent, now=now)
    assert len(result.booked) == 2 and result.refused == [] and result.cancelled == []
    for booking in Booking.objects.all():
        assert booking.status == "booked" and booking.booked_by == family.user and booking.booked_at == now
        assert booking.source == "portal" and not booking.is_override
    assert BasketItem.objects.count() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Validation du panier"


def test_validation_is_idempotent(family, town, django_capture_on_commit_callbacks):
    add(family, family.children[0], town.repas_maternelle, day(12, 7))
    with django_capture_on_commit_callbacks(execute=True):
        first = basket_validate(guardian=family.parent, now=EARLY)
        second = basket_validate(guardian=family.parent, now=EARLY)
    assert len(first.booked) == 1 and second.applied_count == 0 and second.refused == []
    assert Booking.objects.count() == 1 and len(mail.outbox) == 1


def test_an_item_that_expired_meanwhile_is_refused_and_the_others_are_applied(family, town):
    junior = family.children[0]
    add(family, junior, town.repas_maternelle, day(12, 7))  # deadline: Thursday 3 December 10:00
    kept = add(family, junior, town.repas_maternelle, day(12, 10))  # deadline: Tuesday 8 December 10:00
    result = basket_validate(guardian=family.parent, now=paris(2026, 12, 3, 10, 1))
    assert [b.date for b in result.booked] == [day(12, 10)]
    [refused] = result.refused
    assert refused.item.date == day(12, 7) and refused.code == "locked"
    assert refused.reason == "Junior, Repas maternelle, Lun. 7 déc. : le délai pour réserver est dépassé (jusqu'au jeudi 03/12 à 10h00)."
    assert list(Booking.objects.values_list("date", flat=True)) == [day(12, 10)]
    assert list(BasketItem.objects.values_list("date", flat=True)) == [day(12, 7)]
    assert not BasketItem.objects.filter(pk=kept.pk).exists()


def test_cancelling_keeps_the_row_and_rebooking_flips_it_back(family, town):
    junior = family.children[0]
    booking = factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day(12, 7))
    add(family, junior, town.repas_maternelle, day(12, 7), action="cancel")
    result = basket_validate(guardian=family.parent, now=EARLY)
    booking.refresh_from_db()
    assert result.cancelled == [booking] and booking.status == "cancelled"
    assert booking.cancelled_by == family.user and booking.cancelled_at == EARLY
    add(family, junior, town.repas_maternelle, day(12, 7))
    later = EARLY + datetime.timedelta(hours=1)
    basket_validate(guardian=family.parent, now=later)
    booking.refresh_from_db()
    assert booking.status == "booked" and booking.cancelled_at is None and booking.booked_at == later
    assert Booking.objects.count() == 1


def test_every_change_a_validation_makes_is_in_the_bookings_history(family, town):
    junior = family.children[0]
    booking = factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day(12, 7))
    add(family, junior, town.repas_maternelle, day(12, 7), action="cancel")
    add(family, junior, town.repas_maternelle, day(12, 8))
    basket_validate(guardian=family.parent, now=EARLY)
    add(family, junior, town.repas_maternelle, day(12, 7))
    later = EARLY + datetime.timedelta(hours=1)
    basket_validate(guardian=family.parent, now=later)

    history = Booking.history.filter(child=junior).order_by("history_date", "history_id")
    by_day = [(h.date, h.status, h.history_type, h.history_user, h.history_date) for h in history if h.history_user]
    assert (day(12, 7), "cancelled", "~", family.user, EARLY) in by_day  # the parent's cancellation
    assert (day(12, 8), "booked", "+", family.user) in [row[:4] for row in by_day]  # a new booking
    assert (day(12, 7), "booked", "~", family.user, later) in by_day  # booked again
    assert booking.history.count() == 3  # made, cancelled, booked again


def test_two_guardians_booking_the_same_day_create_one_booking(separated_couple, town):
    mother, father = separated_couple.guardians
    tom = separated_couple.children[0]
    for guardian in (mother, father):
        basket_add(guardian=guardian, child=tom, activity=town.repas_maternelle, day=day(12, 7), action="book", now=EARLY)
    first = basket_validate(guardian=mother, now=EARLY)
    second = basket_validate(guardian=father, now=EARLY)
    assert len(first.booked) == 1 and second.applied_count == 0 and len(second.unchanged) == 1
    assert Booking.objects.count() == 1 and BasketItem.objects.count() == 0


CONFIRMATION_TEXT = """Validation du panier.

Suite à votre validation du 14/09/2026 à 14h28, nous vous confirmons le planning suivant :

Vos réservations Junior TEST
- 4 REPAS MATERNELLE : Lun. 21 sept., Mar. 22 sept., Jeu. 24 sept., Ven. 25 sept.

Vos réservations Lise TEST
- 1 GARDERIE SOIR : Mar. 22 sept.

Vos annulations Lise TEST
- 1 REPAS PRIMAIRE : Lun. 21 sept.

Panier validé par M. TEST Deux.
Retrouvez vos réservations sur votre Espace Famille : https://famille.valbourg.fr/

Mairie de Valbourg
"""


def test_confirmation_email_text_for_a_known_basket(family, town, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://famille.valbourg.fr"
    settings.TOWN_NAME = "Mairie de Valbourg"
    junior, lise = family.children
    factories.ParentFactory(household=family.household, first_name="Une", email="second@example.org")
    factories.GuardianFactory(household=family.household, first_name="Sans", email=None)
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=day(9, 21))
    when = paris(2026, 9, 1, 9, 0)
    for date in (day(9, 25), day(9, 21), day(9, 22), day(9, 24)):
        add(family, junior, town.repas_maternelle, date, now=when)
    add(family, lise, town.repas_primaire, day(9, 21), action="cancel", now=when)
    add(family, lise, town.garderie_soir, day(9, 22), now=when)
    with django_capture_on_commit_callbacks(execute=True):
        basket_validate(guardian=family.parent, now=paris(2026, 9, 14, 14, 28))
    assert sorted(m.to[0] for m in mail.outbox) == ["parent@example.org", "second@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Validation du panier"
    assert message.body == CONFIRMATION_TEXT
    html = message.alternatives[0].content
    assert "Vos réservations Junior TEST" in html and "<li>Lun. 21 sept.</li>" in html
    assert "<s>Lun. 21 sept.</s>" in html
    log = EmailLog.objects.get(recipient="parent@example.org")
    assert log.kind == "basket_validation" and log.household == family.household and log.status == "sent"


def test_nothing_applied_sends_no_email(family, town, django_capture_on_commit_callbacks):
    add(family, family.children[0], town.repas_maternelle, day(12, 7))
    with django_capture_on_commit_callbacks(execute=True):
        result = basket_validate(guardian=family.parent, now=paris(2026, 12, 5, 9, 0))
    assert len(result.refused) == 1 and mail.outbox == []


# --- Staff override ------------------------------------------------------------------------------


def test_staff_book_a_locked_day_as_an_override(family, town, staff_agent):
    junior = family.children[0]
    late = paris(2026, 12, 7, 8, 0)
    booking = booking_override(child=junior, activity=town.repas_maternelle, day=day(12, 7), action="book", staff_user=staff_agent, now=late)
    assert booking.is_override and booking.source == "staff" and booking.booked_by == staff_agent and booking.booked_at == late
    booking = booking_override(child=junior, activity=town.repas_maternelle, day=day(12, 7), action="cancel", staff_user=staff_agent, now=late)
    assert booking.status == "cancelled" and booking.cancelled_by == staff_agent and booking.is_override
    booking = booking_override(child=junior, activity=town.repas_maternelle, day=day(12, 7), action="book", staff_user=staff_agent, now=late)
    assert booking.status == "booked" and Booking.objects.count() == 1


def test_staff_override_still_needs_a_service_day_and_something_to_cancel(family, town, staff_agent):
    junior = family.children[0]
    with pytest.raises(ValidationError, match="Jour férié"):
        booking_override(child=junior, activity=town.repas_maternelle, day=day(5, 6), action="book", staff_user=staff_agent)
    with pytest.raises(ValidationError, match="pas de réservation à annuler"):
        booking_override(child=junior, activity=town.repas_maternelle, day=day(12, 7), action="cancel", staff_user=staff_agent)


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------


def _run_concurrently(*calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    RACES["tried"] += 1
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_validations_of_one_basket_book_each_day_once(family, town):
    junior = family.children[0]
    dates = [day(12, 7), day(12, 8), day(12, 10), day(12, 11)]
    for date in dates:
        add(family, junior, town.repas_maternelle, date)
    results = _run_concurrently(
        lambda: basket_validate(guardian=family.parent, now=EARLY), lambda: basket_validate(guardian=family.parent, now=EARLY)
    )
    assert sorted(len(r.booked) for r in results) == [0, 4]
    assert sorted(Booking.objects.values_list("date", flat=True)) == dates
    assert BasketItem.objects.count() == 0
    assert EmailLog.objects.filter(kind="basket_validation").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_guardians_validating_the_same_day_at_once_create_one_booking(separated_couple, town):
    mother, father = separated_couple.guardians
    tom = separated_couple.children[0]
    for guardian in (mother, father):
        basket_add(guardian=guardian, child=tom, activity=town.repas_maternelle, day=day(12, 7), action="book", now=EARLY)
    results = _run_concurrently(
        lambda: basket_validate(guardian=mother, now=EARLY), lambda: basket_validate(guardian=father, now=EARLY)
    )
    assert sorted(len(r.booked) for r in results) == [0, 1]
    assert Booking.objects.count() == 1 and BasketItem.objects.count() == 0


# --- Daily capacity -----------------------------------------------------------------------------


@pytest.fixture
def one_place(town):
    town.repas_maternelle.capacity = 1
    town.repas_maternelle.save()
    return town.repas_maternelle


def test_a_full_day_is_shown_full_and_refused_in_the_basket(family, other_family, one_place):
    junior, zoe = family.children[0], other_family.children[0]
    factories.BookingFactory(child=zoe, activity=one_place, date=day(12, 7))
    cell = next(
        c for c in week_view(guardian=family.parent, day=day(12, 7), now=EARLY).children[0].rows[0].cells
        if c.date == day(12, 7)
    )
    assert (cell.state, cell.closure_reason, cell.can_change) == ("closed", "Complet", False)
    with pytest.raises(ValidationError) as refused:
        add(family, junior, one_place, day(12, 7))
    assert refused.value.code == "full"
    assert refused.value.messages == ["Junior, Repas maternelle, Lun. 7 déc. : complet, plus aucune place ce jour-là."]
    add(family, junior, one_place, day(12, 8))  # the next day still has its place
    zoe_cell = week_view(guardian=other_family.parent, day=day(12, 7), now=EARLY).children[0].rows[0].cells[0]
    assert zoe_cell.state == "booked" and zoe_cell.can_change  # who holds the place may cancel it


def test_the_last_place_goes_to_the_first_validation_and_the_other_item_stays_refused(family, other_family, one_place):
    junior, zoe = family.children[0], other_family.children[0]
    add(family, junior, one_place, day(12, 7))
    add(family, junior, one_place, day(12, 8))
    basket_add(guardian=other_family.parent, child=zoe, activity=one_place, day=day(12, 7), action="book", now=EARLY)
    basket_validate(guardian=other_family.parent, now=EARLY)

    result = basket_validate(guardian=family.parent, now=EARLY)
    assert [b.date for b in result.booked] == [day(12, 8)]
    [refused] = result.refused
    assert (refused.code, refused.item.date) == ("full", day(12, 7))
    assert BasketItem.objects.filter(basket__guardian=family.parent).count() == 1  # kept, with its reason

    zoe_booking = Booking.objects.get(child=zoe)
    basket_add(guardian=other_family.parent, child=zoe, activity=one_place, day=day(12, 7), action="cancel", now=EARLY)
    basket_validate(guardian=other_family.parent, now=EARLY)  # the place is given back
    zoe_booking.refresh_from_db()
    assert zoe_booking.status == "cancelled"
    assert [b.date for b in basket_validate(guardian=family.parent, now=EARLY).booked] == [day(12, 7)]


def test_a_basket_giving_back_a_place_and_taking_another_stays_within_capacity(family, one_place):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=one_place, date=day(12, 7))
    add(family, junior, one_place, day(12, 7), action="cancel")
    add(family, junior, one_place, day(12, 8))
    result = basket_validate(guardian=family.parent, now=EARLY)
    assert len(result.cancelled) == 1 and len(result.booked) == 1 and result.refused == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_households_validating_the_last_place_at_once_get_one_booking(family, other_family, one_place):
    junior, zoe = family.children[0], other_family.children[0]
    add(family, junior, one_place, day(12, 7))
    basket_add(guardian=other_family.parent, child=zoe, activity=one_place, day=day(12, 7), action="book", now=EARLY)
    results = _run_concurrently(
        lambda: basket_validate(guardian=family.parent, now=EARLY),
        lambda: basket_validate(guardian=other_family.parent, now=EARLY),
    )
    assert sorted(len(r.booked) for r in results) == [0, 1]
    assert sorted(r.refused[0].code for r in results if r.refused) == ["full"]
    assert Booking.objects.active().filter(activity=one_place, date=day(12, 7)).count() == 1

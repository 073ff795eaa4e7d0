"""The household's calendar feed: a secret token kept only as a hash, replaced or revoked by the
guardian, and a feed a calendar library reads back with the household's booked days only."""

import datetime
import hashlib

import icalendar
import pytest

from core.models import Booking, CalendarFeed
from core.services import calendar_feed as feeds
from tests import factories

NOW = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
THURSDAY = datetime.date(2026, 12, 3)


def events(ics):
    calendar = icalendar.Calendar.from_ical(ics)
    return sorted((event.decoded("dtstart"), str(event["summary"])) for event in calendar.walk("VEVENT"))


def test_only_the_hash_of_the_token_is_stored(family):
    feed, token = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    assert len(token) >= 40
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = CalendarFeed.objects.filter(pk=feed.pk).values()[0]
    assert token not in str(stored)
    assert feeds.calendar_feed_for_token(token) == feed


def test_a_new_token_replaces_the_old_and_revoking_stops_it(family):
    _, old = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    _, new = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    assert feeds.calendar_feed_for_token(old) is None and feeds.calendar_feed_for_token(new) is not None
    assert CalendarFeed.objects.count() == 1
    assert feeds.calendar_feed_revoke(guardian=family.parent) is True
    assert feeds.calendar_feed_for_token(new) is None
    assert feeds.calendar_feed_for_token("") is None and feeds.calendar_feed_for_token("x" * 500) is None


def test_an_anonymised_household_has_no_feed(family):
    _, token = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    family.household.anonymised_at = NOW
    family.household.save()
    assert feeds.calendar_feed_for_token(token) is None


def test_the_feed_lists_the_household_booked_days_as_they_stand(town, family, other_family):
    junior, lise = family.children
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=THURSDAY)
    friday = factories.BookingFactory(child=lise, activity=town.garderie_soir, date=THURSDAY + datetime.timedelta(days=1))
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=THURSDAY, status=Booking.Status.CANCELLED,
                              cancelled_at=NOW)
    factories.BookingFactory(child=other_family.children[0], activity=town.repas_maternelle, date=THURSDAY)
    feed, _ = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    assert events(feeds.calendar_feed_ics(feed=feed, now=NOW)) == [
        (THURSDAY, "Junior : Repas maternelle"), (THURSDAY + datetime.timedelta(days=1), "Lise : Garderie soir"),
    ]
    Booking.objects.filter(pk=friday.pk).update(status=Booking.Status.CANCELLED, cancelled_at=NOW)
    factories.ClosureFactory(name="Grève", kind="greve", start_date=THURSDAY, end_date=THURSDAY, school=town.maternelle)
    assert events(feeds.calendar_feed_ics(feed=feed, now=NOW)) == []
    feed.refresh_from_db()
    assert feed.last_read_at == NOW


def test_each_event_is_an_all_day_event_with_a_stable_uid(town, family):
    booking = factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=THURSDAY)
    feed, _ = feeds.calendar_feed_create(guardian=family.parent, now=NOW)
    (event,) = icalendar.Calendar.from_ical(feeds.calendar_feed_ics(feed=feed, now=NOW)).walk("VEVENT")
    assert event.decoded("dtend") == THURSDAY + datetime.timedelta(days=1)
    assert str(event["uid"]).startswith(f"reservation-{booking.pk}@")

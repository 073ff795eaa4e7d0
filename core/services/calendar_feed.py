"""The household's calendar feed (iCalendar): a guardian's secret address, kept only as a hash,
shown once, revocable; the feed lists the household's booked days as they stand."""

import datetime
import hashlib
import secrets
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import Booking, CalendarFeed, Guardian, Household
from core.services.calendar import ServiceCalendar

PAST_DAYS = 62  # how far back the feed goes (calendar apps keep what they already read)
FUTURE_DAYS = 400  # a whole school year ahead


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, guardian: Guardian, now: datetime.datetime | None = None) -> tuple[CalendarFeed, str]:
    """A new secret address for `guardian`, replacing any previous one (which stops working).
    Returns the feed and its token: the only time the token exists in clear."""
    token = secrets.token_urlsafe(32)
    feed, _ = CalendarFeed.objects.update_or_create(
        guardian=guardian, defaults={"token_hash": _hash(token), "created_at": now or timezone.now(), "last_read_at": None}
    )
    return feed, token


def calendar_feed_revoke(*, guardian: Guardian) -> bool:
    """Stop the guardian's feed address; True when there was one."""
    deleted, _ = CalendarFeed.objects.filter(guardian=guardian).delete()
    return bool(deleted)


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The feed of `token` (compared by hash), or None: an unknown, revoked or replaced token,
    or one whose guardian left or whose household was anonymised."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("guardian__household")
        .filter(token_hash=_hash(token), guardian__household__anonymised_at__isnull=True)
        .first()
    )


def calendar_feed_ics(*, feed: CalendarFeed, now: datetime.datetime | None = None) -> bytes:
    """The household's active bookings around today, one all-day event each, closed days left
    out (nobody serves them). Records when the feed was last read."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    household = feed.guardian.household
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    return household_calendar(household=household, start=today - datetime.timedelta(days=PAST_DAYS),
                              end=today + datetime.timedelta(days=FUTURE_DAYS), now=now)


def household_calendar(*, household: Household, start: datetime.date, end: datetime.date, now: datetime.datetime) -> bytes:
    bookings = (
        Booking.objects.active().between(start, end).filter(child__household=household)
        .select_related("child", "activity").order_by("date", "child__first_name", "activity__position")
    )
    closed = ServiceCalendar.load(start, end).closed_bookings_q()
    if closed is not None:
        bookings = bookings.exclude(closed)
    host = urlsplit(settings.SITE_URL).hostname or "espace-famille"
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.TOWN_NAME}//Espace Famille//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Réservations — {settings.TOWN_NAME}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", datetime.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    for booking in bookings:
        event = icalendar.Event()
        event.add("uid", f"reservation-{booking.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", booking.date)
        event.add("dtend", booking.date + datetime.timedelta(days=1))
        event.add("summary", f"{booking.child.first_name} : {booking.activity.name}")
        event.add("transp", "TRANSPARENT")  # a child's booking does not make the parent busy
        calendar.add_component(event)
    return calendar.to_ical()

"""Booking and cancellation deadlines: the instant, in Europe/Paris, after which parents can no
longer book or cancel a service day. Rules are data (`DeadlineRule`); see its docstring."""

import datetime
from enum import StrEnum

from core.constants import PARIS
from core.models import Activity, DeadlineRule
from core.services import french_dates
from core.services.calendar import ServiceCalendar

# How far before a day the service calendar is loaded so that "N working days before" never has
# to load it again: the longest rule (60 days) plus the summer holidays when they are closures.
CALENDAR_LOOKBACK = datetime.timedelta(days=150)


class Action(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"


def paris_datetime(day: datetime.date, at: datetime.time) -> datetime.datetime:
    """`day` at the wall-clock time `at` in Paris, as an aware datetime. A time that does not exist
    (the March clock change) is moved forward by the gap; an ambiguous one (October) is the first."""
    naive = datetime.datetime.combine(day, at)
    return naive.replace(tzinfo=PARIS).astimezone(datetime.UTC).astimezone(PARIS)


def _working_day_before(day, count, calendar):
    """The `count`-th working day strictly before `day` (`day` itself when count is 0)."""
    current = day
    while count > 0:
        current -= datetime.timedelta(days=1)
        if current < calendar.start:
            calendar = ServiceCalendar.load(current - CALENDAR_LOOKBACK, calendar.end)
        if calendar.is_working_day(current):
            count -= 1
    return current


def rule_deadline(
    *, rule: DeadlineRule, day: datetime.date, calendar: ServiceCalendar | None = None
) -> datetime.datetime:
    """The last instant (aware, Europe/Paris) at which a parent may act on service day `day`
    under `rule`."""
    if rule.kind == DeadlineRule.Kind.CALENDAR_DAYS:
        last_day = day - datetime.timedelta(days=rule.days)
    elif rule.kind == DeadlineRule.Kind.WORKING_DAYS:
        calendar = calendar or ServiceCalendar.load(day - CALENDAR_LOOKBACK, day)
        last_day = _working_day_before(day, rule.days, calendar)
    elif rule.kind == DeadlineRule.Kind.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        last_day = monday - datetime.timedelta(weeks=rule.weeks_before) + datetime.timedelta(days=rule.weekday)
    else:  # pragma: no cover - the database constraint forbids any other kind
        raise ValueError(f"Unknown deadline rule kind: {rule.kind}")
    return paris_datetime(last_day, rule.time)


def activity_deadline(
    *, activity: Activity, day: datetime.date, action: Action | str, calendar: ServiceCalendar | None = None
) -> datetime.datetime:
    """The deadline to book (booking_rule) or cancel (cancellation_rule) `activity` on `day`."""
    rule = activity.booking_rule if Action(action) == Action.BOOK else activity.cancellation_rule
    return rule_deadline(rule=rule, day=day, calendar=calendar)


def is_past(deadline: datetime.datetime, *, now: datetime.datetime) -> bool:
    """A deadline is past strictly after its instant: acting at the very minute is still allowed."""
    return now > deadline


def deadline_label(deadline: datetime.datetime) -> str:
    """French label of a deadline, e.g. "jeudi 14/09 à 10h00"."""
    local = deadline.astimezone(PARIS)
    return f"{french_dates.weekday_name(local.date())} {local:%d/%m} à {local:%H}h{local:%M}"

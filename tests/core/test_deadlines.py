import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import DeadlineRule
from core.services.calendar import ServiceCalendar
from core.services.deadlines import PARIS, activity_deadline, deadline_label, is_past, paris_datetime, rule_deadline
from tests import factories

UTC = datetime.UTC


def calendar_days(days, hour=10, minute=0):
    return DeadlineRule(kind=DeadlineRule.Kind.CALENDAR_DAYS, days=days, time=datetime.time(hour, minute))


def working_days(days, hour=10, minute=0):
    return DeadlineRule(kind=DeadlineRule.Kind.WORKING_DAYS, days=days, time=datetime.time(hour, minute))


def weekly(weekday, weeks_before=1, hour=12):
    return DeadlineRule(
        kind=DeadlineRule.Kind.WEEKLY, weekday=weekday, weeks_before=weeks_before, time=datetime.time(hour, 0)
    )


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def test_the_day_before_at_18h(db):
    deadline = rule_deadline(rule=calendar_days(1, 18), day=datetime.date(2026, 12, 3))
    assert deadline == paris(2026, 12, 2, 18, 0)
    assert deadline.tzinfo is PARIS


def test_calendar_days_count_weekends(db):
    assert rule_deadline(rule=calendar_days(3), day=datetime.date(2026, 12, 7)) == paris(2026, 12, 4, 10, 0)


def test_working_days_skip_the_weekend(db):
    # Monday 7 December, two working days before: Thursday 3 December.
    assert rule_deadline(rule=working_days(2), day=datetime.date(2026, 12, 7)) == paris(2026, 12, 3, 10, 0)


def test_working_days_skip_11_november(db):
    # Thursday 12 November 2026: Wednesday 11 is a public holiday, so Tuesday 10 then Monday 9.
    assert rule_deadline(rule=working_days(2), day=datetime.date(2026, 11, 12)) == paris(2026, 11, 9, 10, 0)


def test_working_days_skip_ascension_thursday(db):
    # Friday 7 May 2027: Thursday 6 is Ascension, so Wednesday 5 then Tuesday 4.
    assert rule_deadline(rule=working_days(2), day=datetime.date(2027, 5, 7)) == paris(2027, 5, 4, 10, 0)


def test_working_days_skip_a_town_closure(town):
    # Monday 2 November 2026, after the Toussaint holidays (17 October – 1 November, a town-wide
    # closure): the two working days before are Friday 16 and Thursday 15 October.
    assert rule_deadline(rule=working_days(2), day=datetime.date(2026, 11, 2)) == paris(2026, 10, 15, 10, 0)


def test_a_closure_of_one_school_is_still_a_working_day(town):
    factories.ClosureFactory(
        name="Grève", start_date=datetime.date(2026, 12, 3), end_date=datetime.date(2026, 12, 3), school=town.maternelle
    )
    assert rule_deadline(rule=working_days(2), day=datetime.date(2026, 12, 7)) == paris(2026, 12, 3, 10, 0)


def test_zero_days_is_the_day_itself(db):
    assert rule_deadline(rule=working_days(0, 9), day=datetime.date(2026, 12, 3)) == paris(2026, 12, 3, 9, 0)
    assert rule_deadline(rule=calendar_days(0, 9), day=datetime.date(2026, 12, 3)) == paris(2026, 12, 3, 9, 0)


def test_weekly_thursday_noon_for_the_following_week(db):
    for day in (datetime.date(2026, 12, 7), datetime.date(2026, 12, 9), datetime.date(2026, 12, 11)):
        assert rule_deadline(rule=weekly(3), day=day) == paris(2026, 12, 3, 12, 0)
    assert rule_deadline(rule=weekly(3, weeks_before=2), day=datetime.date(2026, 12, 9)) == paris(2026, 11, 26, 12, 0)


def test_october_clock_change(db):
    # The clocks go back on Sunday 25 October 2026: 18:00 that day is 17:00 UTC, not 16:00.
    deadline = rule_deadline(rule=calendar_days(1, 18), day=datetime.date(2026, 10, 26))
    assert deadline.astimezone(UTC) == datetime.datetime(2026, 10, 25, 17, 0, tzinfo=UTC)
    before = rule_deadline(rule=calendar_days(2, 18), day=datetime.date(2026, 10, 26))
    assert before.astimezone(UTC) == datetime.datetime(2026, 10, 24, 16, 0, tzinfo=UTC)
    weekly_deadline = rule_deadline(rule=weekly(3), day=datetime.date(2026, 10, 28))
    assert weekly_deadline.astimezone(UTC) == datetime.datetime(2026, 10, 22, 10, 0, tzinfo=UTC)


def test_march_clock_change(db):
    # The clocks go forward on Sunday 28 March 2027; Monday 29 is Easter Monday.
    deadline = rule_deadline(rule=calendar_days(2), day=datetime.date(2027, 3, 30))
    assert deadline.astimezone(UTC) == datetime.datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert rule_deadline(rule=working_days(1), day=datetime.date(2027, 3, 30)).astimezone(UTC) == datetime.datetime(
        2027, 3, 26, 9, 0, tzinfo=UTC
    )
    # 02:30 does not exist that night: the deadline moves forward by the gap, to 03:30.
    gap = rule_deadline(rule=calendar_days(0, 2, 30), day=datetime.date(2027, 3, 28))
    assert gap == paris(2027, 3, 28, 3, 30) and gap.astimezone(UTC).hour == 1


def test_booking_and_cancelling_have_their_own_rules(town):
    activity = town.garderie_soir
    activity.cancellation_rule = factories.DeadlineRuleFactory(kind=DeadlineRule.Kind.WORKING_DAYS, days=2)
    activity.save()
    day = datetime.date(2026, 12, 7)
    assert activity_deadline(activity=activity, day=day, action="book") == paris(2026, 12, 6, 18, 0)
    assert activity_deadline(activity=activity, day=day, action="cancel") == paris(2026, 12, 3, 10, 0)


def test_acting_at_the_deadline_minute_is_allowed_and_after_is_not():
    deadline = paris(2026, 12, 3, 10, 0)
    assert not is_past(deadline, now=deadline)
    assert is_past(deadline, now=deadline + datetime.timedelta(seconds=1))


def test_deadline_label_is_french():
    assert deadline_label(paris(2026, 12, 3, 10, 0)) == "jeudi 03/12 à 10h00"
    assert deadline_label(datetime.datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) == "jeudi 03/12 à 18h00"


# --- Properties -----------------------------------------------------------------------------------

service_days = st.dates(min_value=datetime.date(2026, 9, 1), max_value=datetime.date(2027, 7, 2))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
day_rules = st.builds(
    lambda kind, days, at: DeadlineRule(kind=kind, days=days, time=at),
    st.sampled_from([DeadlineRule.Kind.CALENDAR_DAYS, DeadlineRule.Kind.WORKING_DAYS]),
    st.integers(min_value=1, max_value=59),
    times,
)
weekly_rules = st.builds(
    lambda weekday, weeks, at: DeadlineRule(kind=DeadlineRule.Kind.WEEKLY, weekday=weekday, weeks_before=weeks, time=at),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=1, max_value=4),
    times,
)
HYPOTHESIS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def school_calendar(town):
    return ServiceCalendar.load(datetime.date(2026, 1, 1), datetime.date(2027, 7, 31))


@HYPOTHESIS
@given(rule=st.one_of(day_rules, weekly_rules), day=service_days)
def test_a_deadline_always_falls_before_its_service_day(school_calendar, rule, day):
    deadline = rule_deadline(rule=rule, day=day, calendar=school_calendar)
    assert deadline < paris_datetime(day, datetime.time(0, 0))
    assert deadline.utcoffset() in (datetime.timedelta(hours=1), datetime.timedelta(hours=2))


@HYPOTHESIS
@given(rule=day_rules, day=service_days)
def test_a_deadline_never_moves_later_when_n_grows(school_calendar, rule, day):
    longer = DeadlineRule(kind=rule.kind, days=rule.days + 1, time=rule.time)
    assert rule_deadline(rule=longer, day=day, calendar=school_calendar) < rule_deadline(
        rule=rule, day=day, calendar=school_calendar
    )


@HYPOTHESIS
@given(day=service_days, at=times, days=st.integers(min_value=0, max_value=20))
def test_working_day_deadlines_land_on_working_days(school_calendar, day, at, days):
    deadline = rule_deadline(rule=working_days(days, at.hour, at.minute), day=day, calendar=school_calendar)
    assert days == 0 or school_calendar.is_working_day(deadline.date())

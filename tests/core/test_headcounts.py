import datetime

import pytest
from django.utils import timezone

from core.models import Booking
from core.services.headcounts import headcounts_compute, week_bounds
from fixtures.demo import DemoTown
from tests import factories


DEMO_TODAY = datetime.date(2026, 11, 20)  # the demo books from October to four weeks ahead


@pytest.fixture
def demo_town(db):
    DemoTown(today=DEMO_TODAY).load()


def test_headcounts_equal_the_active_bookings_of_the_demo_town(demo_town):
    start, end = week_bounds(DEMO_TODAY + datetime.timedelta(days=7))
    sheet = headcounts_compute(start=start, end=end)
    active = Booking.objects.active().between(start, end)
    assert sheet.total == active.count() > 0
    for row in sheet.rows:
        for day, count in zip(sheet.days, row.counts, strict=True):
            assert count == active.filter(child__school=row.school, activity=row.activity, date=day).count()
    assert sheet.day_totals == [active.filter(date=day).count() for day in sheet.days]


def test_cancelled_bookings_are_not_counted(demo_town):
    day = Booking.objects.active().order_by("date").last().date
    before = headcounts_compute(start=day, end=day).total
    booking = Booking.objects.active().filter(date=day).first()
    booking.status, booking.cancelled_at = Booking.Status.CANCELLED, timezone.now()
    booking.save()
    assert headcounts_compute(start=day, end=day).total == before - 1


def test_meal_headcounts_leave_out_childcare(demo_town):
    start, end = week_bounds(DEMO_TODAY + datetime.timedelta(days=7))
    sheet = headcounts_compute(start=start, end=end, activity_kind="meal")
    assert sheet.total == Booking.objects.active().between(start, end).filter(activity__kind="meal").count()
    assert {row.activity.kind for row in sheet.rows} == {"meal"}


def test_children_with_pai_diet_or_allergy_are_listed_per_school(town, family):
    junior, sister = family.children
    junior.has_pai, junior.allergies = True, "arachide"
    junior.save()
    day = datetime.date(2026, 12, 3)
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day)
    factories.BookingFactory(child=sister, activity=town.repas_primaire, date=day)
    sheet = headcounts_compute(start=day, end=day)
    assert list(sheet.dietary) == [town.maternelle.name]
    (need,) = sheet.dietary[town.maternelle.name]
    assert need.child == junior and need.days == [day] and need.activities == ["Repas maternelle"]

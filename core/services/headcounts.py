"""Kitchen headcounts (effectifs cantine): active bookings counted per school × activity × day,
with the children whose meals need care (PAI, diet, allergies). Bookings on a closed day (a
closure added after they were made) are not counted."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from core.models import Activity, Booking, Child, School
from core.services.calendar import ServiceCalendar, daterange

NO_SCHOOL = "Sans école"


@dataclass
class HeadcountRow:
    school: School | None
    activity: Activity
    counts: list  # one int per day of the sheet
    total: int

    @property
    def school_name(self):
        return self.school.name if self.school else NO_SCHOOL


@dataclass
class DietaryNeed:
    child: Child
    activities: list  # names of the activities booked in the period
    days: list  # the days booked in the period


@dataclass
class DietarySummary:
    school: School | None
    children: int  # children with at least one need
    pai: int
    diets: int
    allergies: int

    @property
    def school_name(self):
        return self.school.name if self.school else NO_SCHOOL


@dataclass
class HeadcountSheet:
    start: datetime.date
    end: datetime.date
    days: list
    rows: list
    day_totals: list
    total: int
    dietary: dict = field(default_factory=dict)  # school name → [DietaryNeed]
    dietary_summary: list = field(default_factory=list)  # [DietarySummary], when the lists are not built

    @property
    def schools(self):
        seen = []
        for row in self.rows:
            if row.school_name not in seen:
                seen.append(row.school_name)
        return seen


DIETARY_LIST, DIETARY_SUMMARY = "list", "summary"


def headcounts_compute(
    *,
    start: datetime.date,
    end: datetime.date,
    activity_kind: str | None = None,
    school: School | None = None,
    dietary: str = DIETARY_LIST,
) -> HeadcountSheet:
    """Count every active booking between `start` and `end` once, in its school × activity × day cell.
    `dietary` lists the children whose meals need care, or only counts them per school (a large
    town's week holds thousands of them), or leaves them out (None)."""
    # Weekdays always appear; weekend days only when something is booked on them.
    days = [day for day in daterange(start, end) if day.weekday() < 5]
    bookings = Booking.objects.active().between(start, end)
    closed = ServiceCalendar.load(start, end).closed_bookings_q()
    if closed is not None:
        bookings = bookings.exclude(closed)  # a strike or closure decided after the bookings: no meal
    if activity_kind == Activity.Kind.MEAL:
        # The kitchen also cooks the accueil de loisirs' units that include the meal.
        bookings = bookings.filter(Q(activity__kind=activity_kind) | Q(activity__includes_meal=True))
    elif activity_kind:
        bookings = bookings.filter(activity__kind=activity_kind)
    if school is not None:
        bookings = bookings.filter(child__school=school)
    cells = defaultdict(int)
    for row in bookings.values("child__school", "activity", "date").annotate(n=Count("*")):
        cells[(row["child__school"], row["activity"], row["date"])] = row["n"]
    days = sorted({*days, *(day for _, _, day in cells)})
    schools = {s.pk: s for s in School.objects.filter(pk__in={k[0] for k in cells if k[0]})}
    activities = {a.pk: a for a in Activity.objects.filter(pk__in={k[1] for k in cells})}
    pairs = sorted(
        {(k[0], k[1]) for k in cells},
        key=lambda p: (schools[p[0]].name if p[0] else "~", activities[p[1]].position, activities[p[1]].name),
    )
    rows = []
    for school_id, activity_id in pairs:
        counts = [cells.get((school_id, activity_id, day), 0) for day in days]
        rows.append(HeadcountRow(schools.get(school_id), activities[activity_id], counts, sum(counts)))
    day_totals = [sum(row.counts[i] for row in rows) for i in range(len(days))]
    return HeadcountSheet(
        start=start,
        end=end,
        days=days,
        rows=rows,
        day_totals=day_totals,
        total=sum(day_totals),
        dietary=_dietary_needs(bookings) if dietary == DIETARY_LIST else {},
        dietary_summary=_dietary_summary(bookings) if dietary == DIETARY_SUMMARY else [],
    )


def _dietary_needs(bookings):
    # Plain (child, activity, day) tuples, then the children once each: a week of a large town
    # holds tens of thousands of such bookings, too many to build as model instances.
    rows = (
        bookings.filter(Q(child__has_pai=True) | ~Q(child__diet="") | ~Q(child__allergies=""))
        .order_by("date", "activity__position", "activity__name")
        .values_list("child_id", "activity__name", "date")
    )
    booked = {}
    for child_id, activity_name, day in rows:
        activities, days = booked.setdefault(child_id, ({}, {}))
        activities[activity_name] = None
        days[day] = None
    children = Child.objects.filter(pk__in=booked).select_related("school")
    needs = {}
    for child in sorted(children, key=lambda c: (c.last_name, c.first_name, c.pk)):
        activities, days = booked[child.pk]
        school_name = child.school.name if child.school else NO_SCHOOL
        needs.setdefault(school_name, []).append(DietaryNeed(child, list(activities), list(days)))
    return dict(sorted(needs.items()))


def _dietary_summary(bookings):
    needs = Q(has_pai=True) | ~Q(diet="") | ~Q(allergies="")
    rows = (
        Child.objects.filter(needs, pk__in=bookings.values("child_id"))
        .values("school")
        .annotate(
            children=Count("pk"),
            pai=Count("pk", filter=Q(has_pai=True)),
            diets=Count("pk", filter=~Q(diet="")),
            allergies=Count("pk", filter=~Q(allergies="")),
        )
    )
    rows = list(rows)
    schools = School.objects.in_bulk([row["school"] for row in rows if row["school"]])
    summary = [
        DietarySummary(schools.get(row["school"]), row["children"], row["pai"], row["diets"], row["allergies"])
        for row in rows
    ]
    return sorted(summary, key=lambda item: (item.school is None, item.school_name))


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Friday of the week of `day`."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=4)

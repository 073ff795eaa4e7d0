"""Billing rules: what a household owes a régie for one month.

Booked days that were not cancelled are billed, except justified absences; unjustified absences
are billed; a presence without booking is billed at the late price (unit price + the activity's
surcharge). The unit price is the tariff of the household's quotient-familial bracket and
residence valid on that day (no quotient: the highest bracket). Lines group child × activity ×
unit price and list the days; each line is rounded to the cent. Meals and childcare never share
a line (the childcare tax credit excludes meals).
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Q

from core.constants import CENT
from core.models import Activity, Attendance, Booking, Enrolment, Household, QuotientBracket, Regie, Tariff
from core.services.calendar import ServiceCalendar
from core.services.reject_fees import households_with_unbilled_reject_fees


class BillingError(Exception):
    """A month cannot be priced (a missing tariff): staff must fix the settings and recompute."""


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month containing `month`."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass
class LineDraft:
    child: object
    activity: object
    unit_price: Decimal
    is_unbooked: bool
    dates: list = field(default_factory=list)
    kind = "activity"  # InvoiceLine.Kind.ACTIVITY
    rejected_debit_id = None

    @property
    def quantity(self):
        return len(self.dates)

    @property
    def amount(self):
        return (self.unit_price * self.quantity).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def label(self):
        suffix = " (présence sans réservation)" if self.is_unbooked else ""
        return f"{self.activity.name} — {self.child.first_name} {self.child.last_name.upper()}{suffix}"


@dataclass
class PriceBook:
    """Brackets and tariffs of a period, loaded once for a whole run."""

    brackets: list
    tariffs: list

    @classmethod
    def load(cls, start, end):
        tariffs = Tariff.objects.filter(valid_from__lte=end).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        return cls(brackets=list(QuotientBracket.objects.all()), tariffs=list(tariffs))

    @classmethod
    def from_reference(cls, data, start, end):
        """The same price book from the process's reference data (core/services/reference.py): no query."""
        return cls(brackets=list(data.brackets), tariffs=data.tariffs_between(start, end))

    def __post_init__(self):
        self.brackets = sorted(self.brackets, key=lambda b: b.min_value)
        self._memo = {}

    def unit_price(self, *, household, activity, day):
        key = (household.pk, household.is_resident, activity.pk, day)
        if key not in self._memo:
            self._memo[key] = self._unit_price(household=household, activity=activity, day=day)
        return self._memo[key]

    def _unit_price(self, *, household, activity, day):
        bracket = QuotientBracket.for_quotient(household.quotient_on(day), self.brackets)
        for tariff in self.tariffs:
            if (
                tariff.activity_id == activity.pk
                and bracket is not None
                and tariff.bracket_id == bracket.pk
                and tariff.is_resident == household.is_resident
                and tariff.valid_from <= day
                and (tariff.valid_to is None or day <= tariff.valid_to)
            ):
                return tariff.unit_price
        residence = "résident" if household.is_resident else "extérieur"
        raise BillingError(
            f"Aucun tarif « {activity} » ({bracket}, {residence}) valable le {day:%d/%m/%Y} : "
            "complétez les tarifs puis recalculez."
        )


def household_month_lines(
    *,
    household: Household,
    regie: Regie,
    month: datetime.date,
    prices: PriceBook | None = None,
    service_calendar: ServiceCalendar | None = None,
) -> list[LineDraft]:
    """The lines a household owes `regie` for the month of `month`, empty when nothing is due."""
    start, end = month_bounds(month)
    household = type(household).objects.prefetch_related("quotients").get(pk=household.pk)
    return households_month_lines(
        households=[household], regie=regie, month=month,
        prices=prices or PriceBook.load(start, end),
        service_calendar=service_calendar or ServiceCalendar.load(start, end),
    )[household.pk]


def households_month_lines(
    *,
    households: Iterable[Household],
    regie: Regie,
    month: datetime.date,
    prices: PriceBook,
    service_calendar: ServiceCalendar,
) -> dict[int, list[LineDraft]]:
    """The lines of several households (their quotients prefetched) by household id, in two
    queries whatever their number: how a run bills a whole town."""
    start, end = month_bounds(month)
    scope = {
        "child__household_id__in": [h.pk for h in households],
        "activity__regie": regie,
        "date__gte": start,
        "date__lte": end,
    }
    bookings = defaultdict(list)
    for booking in Booking.objects.active().filter(**scope).select_related("child", "activity"):
        bookings[booking.child.household_id].append(booking)
    attendances = defaultdict(dict)
    for attendance in Attendance.objects.filter(**scope).select_related("child", "activity"):
        attendances[attendance.child.household_id][(attendance.child_id, attendance.activity_id, attendance.date)] = attendance
    return {
        household.pk: household_lines(
            household=household, bookings=bookings[household.pk], attendances=attendances[household.pk],
            prices=prices, service_calendar=service_calendar,
        )
        for household in households
    }


class _ChildRow(NamedTuple):
    pk: int
    first_name: str
    last_name: str
    school_id: int | None


class _BookingRow(NamedTuple):
    child: _ChildRow
    activity: Activity
    date: datetime.date

    @property
    def child_id(self):
        return self.child.pk

    @property
    def activity_id(self):
        return self.activity.pk


class _AttendanceRow(NamedTuple):
    child: _ChildRow
    activity: Activity
    date: datetime.date
    status: str

    Status = Attendance.Status
    is_billable = Attendance.is_billable  # the model's own rule

    @property
    def child_id(self):
        return self.child.pk

    @property
    def activity_id(self):
        return self.activity.pk


def household_month_lines_all_regies(
    *,
    household: Household,
    month: datetime.date,
    activities: dict,
    prices: PriceBook,
    service_calendar: ServiceCalendar,
) -> list[LineDraft]:
    """The lines a household (its quotients prefetched) owes for the month over every régie it has
    an enrolment in: what `households_month_lines` gives régie by régie, in three plain queries
    (its enrolled activities, then values of its bookings and attendance, no model instances) for a
    page. `activities` maps ids to activities (the reference
    data's); a line's régie is its activity's."""
    start, end = month_bounds(month)
    enrolled = Enrolment.objects.filter(child__household_id=household.pk).values_list("activity_id", flat=True)
    regies = {activities[activity_id].regie_id for activity_id in enrolled.order_by()}
    # Plain ids rather than a subquery on the régies: Django compiles nested queries slowly.
    scope = {
        "child__household_id": household.pk, "date__gte": start, "date__lte": end,
        "activity_id__in": [a.pk for a in activities.values() if a.regie_id in regies],
    }
    columns = ("activity_id", "date", "child_id", "child__first_name", "child__last_name", "child__school_id")
    children = {}

    def child(child_id, first_name, last_name, school_id):
        if child_id not in children:
            children[child_id] = _ChildRow(child_id, first_name, last_name, school_id)
        return children[child_id]

    bookings = [
        _BookingRow(child(*child_columns), activities[activity_id], day)
        for activity_id, day, *child_columns in Booking.objects.active().filter(**scope).values_list(*columns).order_by()
    ]
    attendances = {}
    for status, activity_id, day, *child_columns in (
        Attendance.objects.filter(**scope).values_list("status", *columns).order_by()
    ):
        row = _AttendanceRow(child(*child_columns), activities[activity_id], day, status)
        attendances[(row.child_id, activity_id, day)] = row
    return household_lines(
        household=household, bookings=bookings, attendances=attendances, prices=prices, service_calendar=service_calendar
    )


def household_lines(*, household, bookings, attendances, prices, service_calendar):
    """The billing rules on a household's rows of one month: its active bookings and its
    attendance by (child id, activity id, day). Rows are model instances or plain rows with the
    same attributes (child, activity, date, child_id, activity_id; status and is_billable)."""
    billed = []  # (child, activity, day, is_unbooked)
    booked_keys = set()
    for booking in bookings:
        key = (booking.child_id, booking.activity_id, booking.date)
        booked_keys.add(key)
        attendance = attendances.get(key)
        if attendance is not None and not attendance.is_billable:
            continue
        if service_calendar.closure_reason(booking.date, school_id=booking.child.school_id, activity_id=booking.activity_id):
            continue  # no service that day (a strike, a closure decided after the booking)
        billed.append((booking.child, booking.activity, booking.date, False))
    for key, attendance in attendances.items():
        if key not in booked_keys and attendance.status == Attendance.Status.PRESENT_UNBOOKED:
            billed.append((attendance.child, attendance.activity, attendance.date, True))

    groups = {}
    for child, activity, day, is_unbooked in billed:
        price = prices.unit_price(household=household, activity=activity, day=day)
        if is_unbooked:
            price += activity.late_surcharge
        key = (child.pk, activity.pk, price, is_unbooked)
        line = groups.setdefault(key, LineDraft(child=child, activity=activity, unit_price=price, is_unbooked=is_unbooked))
        line.dates.append(day)
    lines = [line for line in groups.values() if line.amount > 0]
    for line in lines:
        line.dates.sort()
    kind_order = defaultdict(int, {"meal": 0, "childcare": 1})
    lines.sort(
        key=lambda l: (
            l.child.first_name, kind_order[l.activity.kind], l.activity.position, l.activity.name, l.is_unbooked, l.dates[0]
        )
    )
    return lines


def households_to_bill(*, regie: Regie, month: datetime.date) -> list[int]:
    """Ids of the households with a booking or an attendance in `regie`'s activities that month,
    or a direct-debit reject fee of the régie not billed yet."""

    start, end = month_bounds(month)
    in_month = Q(date__gte=start, date__lte=end, activity__regie=regie)
    booked = Booking.objects.active().filter(in_month).values("child__household")
    attended = Attendance.objects.filter(in_month).values("child__household")
    fees = households_with_unbilled_reject_fees(regie=regie)
    return list(
        Household.objects.filter(Q(pk__in=booked) | Q(pk__in=attended) | Q(pk__in=fees))
        .order_by("reference")
        .values_list("pk", flat=True)
    )


def payer_snapshot(household: Household) -> dict[str, str]:
    """The payer as printed on the invoice on its issue day (« M TEST Deux », address, email)."""
    guardian = household.billing_guardian
    if guardian is None:
        return {"payer_name": f"Famille {household.name}", "payer_address": household.full_address, "payer_email": ""}
    civility = {"M": "M", "MME": "Mme"}.get(guardian.civility, "")
    name = " ".join(part for part in (civility, guardian.last_name.upper(), guardian.first_name) if part)
    address = guardian.full_address or household.full_address
    return {"payer_name": name, "payer_address": address, "payer_email": guardian.email or ""}

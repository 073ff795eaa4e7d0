"""What a basket costs before it is validated, and what the household's month comes to so far.

No pricing rule lives here: a day's price is `PriceBook.unit_price` and a month's amount is
`households_month_lines`, the very functions the invoice run uses (core/services/billing.py).
These are estimates: the month's invoice is computed again, from the attendance, when it is issued.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from core.constants import ZERO
from django.db.models import Prefetch, prefetch_related_objects

from core.models import BasketItem, Household, QuotientFamilial
from core.services import french_dates
from core.services.billing import BillingError, PriceBook, household_month_lines_all_regies, month_bounds
from core.services.calendar import ServiceCalendar
from core.services.deadlines import Action
from core.services.reference import reference_data


@dataclass(frozen=True)
class MonthEffect:
    month: datetime.date  # its first day
    label: str  # "décembre 2026"
    delta: Decimal  # what the basket adds (+) or takes off (−) that month
    unpriced: int  # changes without a known tariff, left out of `delta`


def _with_quotients(household):
    """The household with its quotients loaded (one query; none when they already are)."""
    if "quotients" not in getattr(household, "_prefetched_objects_cache", {}):
        # Unordered: `quotient_on` sorts them, the model's ordering would join the household.
        prefetch_related_objects([household], Prefetch("quotients", queryset=QuotientFamilial.objects.order_by()))
    return household


@dataclass(frozen=True)
class WeekPrices:
    effects: list  # MonthEffect, per month the basket touches
    estimate: "MonthEstimate"


def week_prices(
    *, household: Household, items: list[BasketItem], month: datetime.date, reference=None
) -> "WeekPrices":
    """The week page's figures (basket prices and the month's estimate): tariffs, brackets and the
    calendar from the reference data, the household's quotients once, then its month's bookings
    and attendance: a fixed number of queries, whatever the régies."""
    household = _with_quotients(household)
    start, end = month_bounds(month)
    days = [i.date for i in items]
    reference = reference or reference_data()
    prices = PriceBook.from_reference(reference, min([start, *days]), max([end, *days]))
    effects = basket_prices(household=household, items=items, prices=prices)
    return WeekPrices(
        effects=effects,
        estimate=month_estimate(
            household=household, month=month, basket_effects=effects, prices=prices, reference=reference
        ),
    )


def month_label(month: datetime.date) -> str:
    return f"{french_dates.MONTHS[month.month - 1]} {month.year}"


def basket_prices(
    *, household: Household, items: list[BasketItem], prices: PriceBook | None = None
) -> list[MonthEffect]:
    """Set `item.price` on each basket change (its day's unit price, positive for a booking,
    negative for a cancellation; None without a tariff) and return the effect per month. A change
    the rules would refuse now (`item.problem`) costs nothing: it would not be applied."""
    if not items:
        return []
    prices = prices or PriceBook.load(min(i.date for i in items), max(i.date for i in items))
    months = defaultdict(lambda: [ZERO, 0])
    for item in items:
        month = item.date.replace(day=1)
        if getattr(item, "problem", None):
            item.price = None
            months[month]  # the month still shows, with what the other changes do
            continue
        try:
            unit = prices.unit_price(household=household, activity=item.activity, day=item.date)
        except BillingError:
            item.price = None
            months[month][1] += 1
            continue
        item.price = unit if item.action == Action.BOOK else -unit
        months[month][0] += item.price
    return [
        MonthEffect(month=month, label=month_label(month), delta=delta, unpriced=unpriced)
        for month, (delta, unpriced) in sorted(months.items())
    ]


@dataclass(frozen=True)
class MonthEstimate:
    month: datetime.date
    label: str
    amount: Decimal | None  # None when a tariff is missing
    with_basket: Decimal | None  # the amount once the basket's changes of that month are applied


def month_estimate(
    *,
    household: Household,
    month: datetime.date,
    basket_effects: list[MonthEffect] = (),
    prices: PriceBook | None = None,
    reference=None,
) -> MonthEstimate:
    """What the household's invoices of `month` come to from today's bookings and attendance, by
    the invoice run's own rules, over every régie it has activities in; and with the basket."""
    start, end = month_bounds(month)
    household = _with_quotients(household)
    reference = reference or reference_data()
    prices = prices or PriceBook.from_reference(reference, start, end)
    try:
        try:
            lines = _month_lines(household, start, prices, reference)
        except KeyError:  # an activity committed after the reference data's token was read
            lines = _month_lines(household, start, prices, reference_data(refresh=True))
        amount = sum((line.amount for line in lines), ZERO)
    except BillingError:
        amount = None
    effect = next((e for e in basket_effects if e.month == start), None)
    with_basket = None if amount is None else amount + (effect.delta if effect else ZERO)
    return MonthEstimate(month=start, label=month_label(start), amount=amount, with_basket=with_basket)


def _month_lines(household, start, prices, reference):
    _, end = month_bounds(start)
    return household_month_lines_all_regies(
        household=household, month=start, activities=reference.activities, prices=prices,
        service_calendar=ServiceCalendar.from_reference(reference, start, end),
    )

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
from core.models import Activity, BasketItem, Household, Regie
from core.services import french_dates
from core.services.billing import BillingError, PriceBook, households_month_lines, month_bounds
from core.services.calendar import ServiceCalendar
from core.services.deadlines import Action


@dataclass(frozen=True)
class MonthEffect:
    month: datetime.date  # its first day
    label: str  # "décembre 2026"
    delta: Decimal  # what the basket adds (+) or takes off (−) that month
    unpriced: int  # changes without a known tariff, left out of `delta`


def _household(household):
    return Household.objects.prefetch_related("quotients").get(pk=household.pk)


@dataclass(frozen=True)
class WeekPrices:
    effects: list  # MonthEffect, per month the basket touches
    estimate: "MonthEstimate"


def week_prices(*, household: Household, items: list[BasketItem], month: datetime.date) -> "WeekPrices":
    """The week page's figures (basket prices and the month's estimate) with one load of the
    household's quotients and of the tariffs: a fixed number of queries per régie."""
    household = _household(household)
    start, end = month_bounds(month)
    days = [i.date for i in items]
    prices = PriceBook.load(min([start, *days]), max([end, *days]))
    effects = basket_prices(household=household, items=items, prices=prices)
    return WeekPrices(
        effects=effects,
        estimate=month_estimate(household=household, month=month, basket_effects=effects, prices=prices),
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
) -> MonthEstimate:
    """What the household's invoices of `month` come to from today's bookings and attendance, by
    the invoice run's own rules, over every régie it has activities in; and with the basket."""
    start, end = month_bounds(month)
    if not hasattr(household, "_prefetched_objects_cache"):
        household = _household(household)
    regies = Regie.objects.filter(
        pk__in=Activity.objects.filter(enrolments__child__household=household).values("regie_id")
    )
    prices, calendar = prices or PriceBook.load(start, end), ServiceCalendar.load(start, end)
    try:
        amount = sum(
            (
                line.amount
                for regie in regies
                for line in households_month_lines(
                    households=[household], regie=regie, month=start, prices=prices, service_calendar=calendar
                )[household.pk]
            ),
            ZERO,
        )
    except BillingError:
        amount = None
    effect = next((e for e in basket_effects if e.month == start), None)
    with_basket = None if amount is None else amount + (effect.delta if effect else ZERO)
    return MonthEstimate(month=start, label=month_label(start), amount=amount, with_basket=with_basket)

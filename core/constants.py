"""Values the whole project shares, defined once. Imports nothing of the project, so that any
layer may use it (the PayFiP client included)."""

from decimal import Decimal
from zoneinfo import ZoneInfo

# Deadlines are computed and dates shown in the town's time; datetimes are stored in UTC.
PARIS = ZoneInfo("Europe/Paris")

# Money is Decimal with two places: amounts are rounded to the cent.
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

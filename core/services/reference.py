"""The data staff change rarely, read once per process and kept while it is current.

School years, closures, activities with their deadline rules, quotient brackets and tariffs: the
week view and its price estimate read them on every request, yet they change a few times a year. `reference_data()` asks the database only for the
version token of `ReferenceVersion` (one bare query) and reloads everything when it differs from
the one it holds. The token is redrawn by the signals below, in the transaction of every save or
delete of a school year, closure, activity, deadline rule, tariff or quotient bracket, so a change
is seen by every web process on its next request after the commit. What depends on time (a
deadline passing) is never cached: deadlines are computed at read time from these rules.

Writes that bypass signals (`QuerySet.update`, `bulk_create`, raw SQL) on these models must call
`ReferenceVersion.bump()` themselves; tests/core/test_reference_cache.py drives every write path.
"""

import datetime
import threading
from dataclasses import dataclass

from django.db.models.signals import m2m_changed, post_delete, post_save

from core.models import (
    Activity, Closure, DeadlineRule, QuotientBracket, ReferenceVersion, RegistrationWindow, SchoolYear, Tariff,
)

TRACKED_MODELS = (SchoolYear, Closure, Activity, DeadlineRule, Tariff, QuotientBracket, RegistrationWindow)


@dataclass(frozen=True)
class ReferenceData:
    """Read-only: the instances are shared by every request of the process."""

    token: str | None
    school_years: tuple  # SchoolYear, by start date
    closures: tuple  # Closure, by start date
    activities: dict  # id -> Activity, with booking_rule and cancellation_rule loaded
    brackets: tuple  # QuotientBracket, by lower bound
    tariffs: tuple  # Tariff, in the model's order (the newest of overlapping tariffs first)
    windows: tuple = ()  # RegistrationWindow of the ALSH, each with its `activity_ids` (a frozenset)

    def school_years_between(self, start: datetime.date, end: datetime.date) -> list:
        return [y for y in self.school_years if y.start_date <= end and y.end_date >= start]

    def closures_between(self, start: datetime.date, end: datetime.date) -> list:
        return [c for c in self.closures if c.start_date <= end and c.end_date >= start]

    def windows_between(self, start: datetime.date, end: datetime.date) -> list:
        return [w for w in self.windows if w.start_date <= end and w.end_date >= start]

    def tariffs_between(self, start: datetime.date, end: datetime.date) -> list:
        return [t for t in self.tariffs if t.valid_from <= end and (t.valid_to is None or t.valid_to >= start)]


_lock = threading.Lock()
_current: ReferenceData | None = None


def load_windows(queryset=None) -> tuple:
    """The ALSH registration windows, each with the frozenset `activity_ids` of its units, in two
    queries."""
    windows = list(queryset if queryset is not None else RegistrationWindow.objects.all())
    links = RegistrationWindow.activities.through.objects.filter(registrationwindow__in=windows)
    ids = {}
    for window_id, activity_id in links.values_list("registrationwindow_id", "activity_id"):
        ids.setdefault(window_id, set()).add(activity_id)
    for window in windows:
        window.activity_ids = frozenset(ids.get(window.pk, ()))
    return tuple(windows)


def _load(token):
    activities = {a.pk: a for a in Activity.objects.select_related("booking_rule", "cancellation_rule")}
    return ReferenceData(
        token=token,
        school_years=tuple(SchoolYear.objects.order_by("start_date")),
        closures=tuple(Closure.objects.order_by("start_date", "pk")),
        activities=activities,
        brackets=tuple(QuotientBracket.objects.order_by("min_value")),
        tariffs=tuple(Tariff.objects.all()),
        # No query at all in a town without an accueil de loisirs.
        windows=load_windows() if any(a.is_leisure for a in activities.values()) else (),
    )


def reference_data(*, refresh: bool = False) -> ReferenceData:
    """The current reference data: one query when the process already holds them. `refresh`
    reloads them, for a reader that met a row newer than its token (an activity committed
    between the token and its own query)."""
    global _current
    token = ReferenceVersion.current_token()
    held = _current
    if not refresh and token is not None and held is not None and held.token == token:
        return held
    # Read after the token: the data are at least as recent as the token they are kept under.
    data = _load(token)
    if token is not None:
        with _lock:
            _current = data
    return data


def _bump(sender, **kwargs):
    ReferenceVersion.bump()


def connect_signals():
    for model in TRACKED_MODELS:
        post_save.connect(_bump, sender=model, dispatch_uid=f"reference-version-save-{model._meta.label}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"reference-version-delete-{model._meta.label}")
    m2m_changed.connect(
        _bump, sender=RegistrationWindow.activities.through, dispatch_uid="reference-version-window-activities"
    )

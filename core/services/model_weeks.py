"""The model week (semaine type): per child, the usual weekdays of each activity, saved once and
applied to a period in one action; the days that cannot be booked are listed as a period booking
lists them (core.services.basket.basket_add_plan owns that rule)."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.models import Activity, Child, Enrolment, Guardian, ModelWeekDay
from core.services.basket import PeriodResult, basket_add_plan


def model_week_activities(*, children: Iterable[Child]) -> dict[int, list[Activity]]:
    """Per child id, the active activities a model week may name: those of an accepted enrolment."""
    enrolments = (
        Enrolment.objects.accepted().filter(child__in=list(children), activity__is_active=True)
        .select_related("activity").order_by("activity__position", "activity__name")
    )
    found = defaultdict(dict)
    for enrolment in enrolments:
        found[enrolment.child_id][enrolment.activity_id] = enrolment.activity
    return {child_id: list(activities.values()) for child_id, activities in found.items()}


def model_week_of(*, children: Iterable[Child]) -> dict[int, dict[int, list[int]]]:
    """Per child id, per activity id, the saved weekdays."""
    weeks = defaultdict(dict)
    for row in ModelWeekDay.objects.filter(child__in=list(children)):
        weeks[row.child_id][row.activity_id] = sorted(row.weekdays)
    return weeks


def model_week_save(*, guardian: Guardian, child: Child, days: Mapping[int, Iterable[int]]) -> list[ModelWeekDay]:
    """Replace the child's model week with `days` (activity id → weekdays). Only the activities the
    child is enrolled in, and the weekdays they run on, are kept; an empty set removes the row."""
    if child.household_id != guardian.household_id:
        raise PermissionDenied("Cet enfant n'appartient pas à votre foyer.")
    allowed = {a.pk: a for a in model_week_activities(children=[child]).get(child.pk, [])}
    unknown = set(days) - set(allowed)
    if unknown:
        raise ValidationError(f"{child.first_name} n'est pas inscrit(e) à cette prestation.", code="not_enrolled")
    with transaction.atomic():
        ModelWeekDay.objects.filter(child=child).delete()
        rows = []
        for activity_id, weekdays in days.items():
            kept = sorted({int(w) for w in weekdays} & set(allowed[activity_id].weekdays))
            if kept:
                rows.append(ModelWeekDay.objects.create(child=child, activity_id=activity_id, weekdays=kept))
        return rows


def basket_apply_model_week(
    *,
    guardian: Guardian,
    children: Iterable[Child],
    start: datetime.date,
    end: datetime.date,
    kind: str | None = None,
    now: datetime.datetime | None = None,
) -> PeriodResult:
    """Put each chosen child's model week (only the activities of `kind` when given, e.g. « la
    cantine ») between two dates into the basket, siblings together whatever their school."""
    children = list(children)
    if any(child.household_id != guardian.household_id for child in children):
        raise PermissionDenied("Cet enfant n'appartient pas à votre foyer.")
    rows = ModelWeekDay.objects.filter(child__in=children, activity__is_active=True).select_related("child", "activity")
    if kind:
        rows = rows.filter(activity__kind=kind)
    plan = [(row.child, row.activity, set(row.weekdays)) for row in rows]
    if not plan:
        raise ValidationError(
            "Aucune semaine type enregistrée pour ces enfants et ce service : enregistrez-la d'abord.", code="no_model_week"
        )
    return basket_add_plan(guardian=guardian, plan=plan, start=start, end=end, now=now)

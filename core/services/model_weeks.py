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


def model_week_prefill(*, children: Iterable[Child]) -> tuple[dict[int, dict[int, list[int]]], set[tuple[int, int]]]:
    """What the model-week form starts from: per child id, per activity id, the saved weekdays;
    for an activity the child has no saved row for, the usual weekdays of its accepted enrolment
    (the latest school year that has some). Also returns the (child id, activity id) pairs so
    proposed, not yet saved."""
    children = list(children)
    weeks = model_week_of(children=children)
    activities = model_week_activities(children=children)
    enrolments = (
        Enrolment.objects.accepted().filter(child__in=children).exclude(weekdays="")
        .order_by("-school_year__start_date").values_list("child_id", "activity_id", "weekdays")
    )
    proposed = set()
    for child_id, activity_id, weekdays in enrolments:
        activity = next((a for a in activities.get(child_id, []) if a.pk == activity_id), None)
        if activity is None or activity_id in weeks.get(child_id, {}):
            continue  # not a model-week activity, already saved, or a later year's days were taken
        days = sorted(set(weekdays) & set(activity.weekdays))
        if days:
            weeks[child_id][activity_id] = days
            proposed.add((child_id, activity_id))
    return weeks, proposed


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

"""Serializers of the parents' API: input is parsed here, every rule is checked by core.services."""

from django.utils import timezone
from rest_framework import serializers

from core.models import AbsenceDeclaration, Activity, BasketItem, Child, Enrolment
from core.services.basket import MAX_PERIOD_DAYS, SKIP_CODES
from core.services.bookings import CellState
from core.services.calendar import OUT_OF_HORIZON, OUT_OF_HORIZON_MESSAGE, within_horizon


# --- Output ---------------------------------------------------------------------------------------


class EnrolmentSerializer(serializers.ModelSerializer):
    activity_id = serializers.IntegerField(source="activity.pk")
    activity_name = serializers.CharField(source="activity.name")
    school_year = serializers.CharField(source="school_year.label")
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Enrolment
        fields = ["id", "activity_id", "activity_name", "school_year", "status", "status_label"]


class ChildSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField()
    grade_label = serializers.CharField(source="get_grade_display")
    school = serializers.CharField(source="school.name", default=None)
    enrolments = EnrolmentSerializer(many=True)

    class Meta:
        model = Child
        fields = ["id", "first_name", "last_name", "full_name", "grade", "grade_label", "school", "enrolments"]


class PendingChangeSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=BasketItem.Action.choices)
    label = serializers.CharField()


class DayCellSerializer(serializers.Serializer):
    date = serializers.DateField()
    state = serializers.ChoiceField(choices=[state.value for state in CellState])
    is_booked = serializers.BooleanField()
    closure_reason = serializers.CharField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    deadline_label = serializers.CharField(allow_null=True)
    pending = PendingChangeSerializer(allow_null=True)
    can_change = serializers.BooleanField()
    day_label = serializers.CharField()
    absence = serializers.ChoiceField(
        choices=AbsenceDeclaration.Status.choices, allow_null=True,
        help_text="Décision sur l'absence déclarée ce jour-là (la plus récente), ou null.",
    )
    absence_label = serializers.CharField(allow_null=True)
    status_label = serializers.CharField()
    accessible_name = serializers.CharField()


class ActivityRowSerializer(serializers.Serializer):
    activity_id = serializers.IntegerField()
    activity_name = serializers.CharField()
    cells = DayCellSerializer(many=True)


class ChildWeekSerializer(serializers.Serializer):
    child_id = serializers.IntegerField()
    first_name = serializers.CharField()
    full_name = serializers.CharField()
    rows = ActivityRowSerializer(many=True)


class WeekDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    label = serializers.CharField()
    long_label = serializers.CharField()


class WeekViewSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    week_end = serializers.DateField()
    label = serializers.CharField()
    previous_week = serializers.DateField()
    next_week = serializers.DateField()
    days = WeekDaySerializer(many=True)
    children = ChildWeekSerializer(many=True)
    pending_count = serializers.IntegerField()


class BasketItemSerializer(serializers.ModelSerializer):
    child_id = serializers.IntegerField()
    child_name = serializers.CharField(source="child.full_name")
    activity_id = serializers.IntegerField()
    activity_name = serializers.CharField(source="activity.name")
    action_label = serializers.CharField(source="get_action_display")
    problem = serializers.SerializerMethodField(help_text="Pourquoi ce changement serait refusé maintenant, ou null.")

    class Meta:
        model = BasketItem
        fields = ["id", "child_id", "child_name", "activity_id", "activity_name", "date", "action", "action_label", "problem"]

    def get_problem(self, item) -> str | None:
        problem = getattr(item, "problem", None)
        return problem.message if problem else None


class BasketSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = BasketItemSerializer(many=True)


class SkippedDaySerializer(serializers.Serializer):
    child_id = serializers.IntegerField()
    date = serializers.DateField()
    code = serializers.ChoiceField(choices=[code.value for code in SKIP_CODES])
    reason = serializers.CharField()


class PeriodResultSerializer(serializers.Serializer):
    added = BasketItemSerializer(many=True)
    skipped = SkippedDaySerializer(many=True)


class AppliedSerializer(serializers.Serializer):
    child_id = serializers.IntegerField()
    activity_id = serializers.IntegerField()
    date = serializers.DateField()
    status = serializers.CharField()


class RefusedSerializer(serializers.Serializer):
    item = BasketItemSerializer()
    code = serializers.CharField()
    reason = serializers.CharField()


class ValidationResultSerializer(serializers.Serializer):
    validated_at = serializers.DateTimeField()
    booked = AppliedSerializer(many=True)
    cancelled = AppliedSerializer(many=True)
    refused = RefusedSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    """A refusal: {detail, code} for a booking rule, or DRF's {champ: [messages]} for malformed input."""

    detail = serializers.CharField(required=False, help_text="Refus d'une règle : message en français.")
    code = serializers.CharField(required=False, help_text="Refus d'une règle : code stable (closed, locked…).")


# --- Input ----------------------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # the largest primary key the database can hold


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _within_horizon(day):
    if not within_horizon(day, today=timezone.localdate()):
        raise serializers.ValidationError(OUT_OF_HORIZON_MESSAGE, code=OUT_OF_HORIZON)


def service_date_field(**kwargs):
    return serializers.DateField(validators=[_within_horizon], **kwargs)


class WeekQuerySerializer(serializers.Serializer):
    date = service_date_field(required=False, help_text="Un jour de la semaine voulue (aujourd'hui par défaut).")


class BasketAddSerializer(serializers.Serializer):
    child_id = id_field()
    activity_id = id_field()
    date = service_date_field()
    action = serializers.ChoiceField(choices=BasketItem.Action.choices)


class PeriodSerializer(serializers.Serializer):
    child_ids = serializers.ListField(child=id_field(), min_length=1, max_length=20)
    activity_id = id_field()
    start = service_date_field()
    end = service_date_field()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, max_length=7,
        help_text="0 = lundi … 6 = dimanche.",
    )

    def validate(self, data):
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": "La date de fin doit suivre la date de début."})
        if (data["end"] - data["start"]).days >= MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"end": "Une période ne peut pas dépasser un an."})
        return data


def active_activity(activity_id):
    return Activity.objects.filter(is_active=True, pk=activity_id).select_related("booking_rule", "cancellation_rule").first()


def _instant(value):
    """An aware datetime as WeekViewSerializer's DateTimeField writes it (local time, ISO 8601)."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def week_view_data(view):
    """The week view as WeekViewSerializer renders it, built directly: the week is read on every
    click of the grid, and DRF's field machinery cost more than the rules for ~1,000 fields.
    WeekViewSerializer stays the documented schema; tests/portail/test_booking_api.py checks
    both give the same JSON."""
    return {
        "week_start": view.week_start.isoformat(),
        "week_end": view.week_end.isoformat(),
        "label": view.label,
        "previous_week": view.previous_week.isoformat(),
        "next_week": view.next_week.isoformat(),
        "days": [{"date": d.date.isoformat(), "label": d.label, "long_label": d.long_label} for d in view.days],
        "children": [
            {
                "child_id": child.child_id,
                "first_name": child.first_name,
                "full_name": child.full_name,
                "rows": [
                    {
                        "activity_id": row.activity_id,
                        "activity_name": row.activity_name,
                        "cells": [
                            {
                                "date": cell.date.isoformat(),
                                "state": str(cell.state),
                                "is_booked": cell.is_booked,
                                "closure_reason": cell.closure_reason,
                                "deadline": _instant(cell.deadline),
                                "deadline_label": cell.deadline_label,
                                "pending": None if cell.pending is None else {
                                    "item_id": cell.pending.item_id,
                                    "action": str(cell.pending.action),
                                    "label": cell.pending.label,
                                },
                                "can_change": cell.can_change,
                                "day_label": cell.day_label,
                                "absence": None if cell.absence is None else str(cell.absence),
                                "absence_label": cell.absence_label,
                                "status_label": cell.status_label,
                                "accessible_name": cell.accessible_name,
                            }
                            for cell in row.cells
                        ],
                    }
                    for row in child.rows
                ],
            }
            for child in view.children
        ],
        "pending_count": view.pending_count,
    }

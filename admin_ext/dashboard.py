"""The admin's first page (unfold DASHBOARD_CALLBACK): today's figures at a glance.

The invoice and payment figures (unpaid total, overdue invoices, recent payments, attempts in
flight, invoice runs in progress) are added in `billing_figures` once those models exist; the
template keeps a separate block for them.
"""

import datetime
import json

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.models import Booking, Guardian, Household
from core.services.headcounts import headcounts_compute

PALETTE = ["var(--color-primary-600)", "var(--color-primary-300)", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444"]


def _day_label(day):
    return f"{date_format(day, 'D').capitalize()}. {day.day}/{day.month:02d}"


def meals_today_and_tomorrow(today):
    tomorrow = today + datetime.timedelta(days=1)
    sheet = headcounts_compute(start=today, end=tomorrow, with_dietary=False)
    index = {day: i for i, day in enumerate(sheet.days)}
    rows = [
        {
            "school": row.school_name,
            "activity": row.activity.name,
            "today": row.counts[index[today]] if today in index else 0,
            "tomorrow": row.counts[index[tomorrow]] if tomorrow in index else 0,
        }
        for row in sheet.rows
    ]
    totals = {
        "today": sum(r["today"] for r in rows),
        "tomorrow": sum(r["tomorrow"] for r in rows),
    }
    chart = {
        "labels": [f"{r['activity']} · {r['school'].replace('École ', '')}" for r in rows],
        "datasets": [
            {"label": "Aujourd'hui", "data": [r["today"] for r in rows], "backgroundColor": PALETTE[0]},
            {"label": "Demain", "data": [r["tomorrow"] for r in rows], "backgroundColor": PALETTE[1]},
        ],
    }
    return rows, totals, chart


def bookings_next_two_weeks(today):
    end = today + datetime.timedelta(days=13)
    sheet = headcounts_compute(start=today, end=end, with_dietary=False)
    activities = []
    for row in sheet.rows:
        if row.activity not in activities:
            activities.append(row.activity)
    datasets = []
    for i, activity in enumerate(activities):
        counts = [0] * len(sheet.days)
        for row in sheet.rows:
            if row.activity == activity:
                counts = [a + b for a, b in zip(counts, row.counts, strict=True)]
        datasets.append({"label": activity.name, "data": counts, "backgroundColor": PALETTE[i % len(PALETTE)]})
    return {"labels": [_day_label(d) for d in sheet.days], "datasets": datasets}


def booking_changes(now):
    since = now - datetime.timedelta(hours=24)
    # One pass over the bookings for the four figures (booked_at and cancelled_at have no index).
    recent = Q(booked_at__gte=since) | Q(cancelled_at__gte=since)
    figures = Booking.objects.filter(recent).aggregate(
        created=Count("pk", filter=Q(booked_at__gte=since)),
        cancelled=Count("pk", filter=Q(cancelled_at__gte=since)),
        booked_overrides=Count("pk", filter=Q(is_override=True, booked_at__gte=since)),
        cancelled_overrides=Count("pk", filter=Q(is_override=True, cancelled_at__gte=since)),
    )
    latest = (
        Booking.history.filter(history_date__gte=since)
        .select_related("child", "activity", "history_user")
        .order_by("-history_date")[:10]
    )
    return {
        "created": figures["created"],
        "cancelled": figures["cancelled"],
        "overrides": figures["booked_overrides"] + figures["cancelled_overrides"],
        "latest": [
            {
                "when": timezone.localtime(h.history_date),
                "what": _change_label(h),
                "child": h.child,
                "activity": h.activity,
                "day": h.date,
                "by": h.history_user,
            }
            for h in latest
        ],
    }


def _change_label(record):
    if record.history_type == "-":
        return "Supprimé"
    if record.status == Booking.Status.CANCELLED:
        return "Annulé"
    return "Réservé" if record.history_type == "+" else "Modifié"


def account_activation():
    activated = Guardian.objects.filter(household=OuterRef("pk"), user__isnull=False, email_verified_at__isnull=False)
    households = Household.objects.active()
    total = households.count()
    active = households.filter(Exists(activated)).count()
    return {
        "total": total,
        "activated": active,
        "percent": round(100 * active / total) if total else 0,
        "label": f"{active} / {total} foyers",
    }


def billing_figures(request):
    """Invoice and payment figures for the dashboard; None until invoicing is installed."""
    return None


def dashboard_callback(request, context):
    now = timezone.now()
    today = timezone.localdate()
    rows, totals, meals_chart = meals_today_and_tomorrow(today)
    fortnight_chart = bookings_next_two_weeks(today)
    context.update(
        {
            "today": today,
            "tomorrow": today + datetime.timedelta(days=1),
            "meals": rows,
            "meal_totals": totals,
            "meals_chart": json.dumps(meals_chart),
            "fortnight_chart": json.dumps(fortnight_chart),
            "fortnight_legend": [{"label": d["label"], "color": d["backgroundColor"]} for d in fortnight_chart["datasets"]],
            "changes": booking_changes(now),
            "activation": account_activation(),
            "billing": billing_figures(request),
            "links": {
                "headcounts": reverse("admin:core_booking_headcounts"),
                "attendance": reverse("admin:core_attendance_sheet"),
                "bookings": reverse("admin:core_booking_changelist"),
            },
        }
    )
    return context

"""The admin's first page (unfold DASHBOARD_CALLBACK): today's figures at a glance.

The invoice and payment figures (unpaid total, overdue invoices, recent payments, attempts in
flight, invoice runs in progress) come from `billing_figures`, in a handful of aggregate queries,
and only for the staff whose role lets them see invoices or payments.
"""

import datetime
import json

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from admin_ext.formatting import euros
from core.constants import ZERO
from core.models import (
    AbsenceDeclaration,
    Booking,
    DirectDebit,
    EnrolmentRequest,
    Guardian,
    Household,
    Invoice,
    InvoiceRun,
    Mandate,
    Payment,
    WaitingListEntry,
)
from core.services.headcounts import headcounts_compute
from core.services.reminders import overdue_age_sums, overdue_ages

PALETTE = ["var(--color-primary-600)", "var(--color-primary-300)", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444"]


def _day_label(day):
    return f"{date_format(day, 'D').capitalize()}. {day.day}/{day.month:02d}"


def meals_today_and_tomorrow(today):
    tomorrow = today + datetime.timedelta(days=1)
    sheet = headcounts_compute(start=today, end=tomorrow, dietary=None)
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
    sheet = headcounts_compute(start=today, end=end, dietary=None)
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
    # One pass over the latest bookings (indexed on booked_at and cancelled_at) for the four figures.
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


RECENT_PAYMENTS_DAYS = 7
NO_AMOUNT = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))


def invoice_figures(today):
    """Open invoices: what is still due (total less credit notes and settled payments), and the overdue part."""
    open_invoices = Invoice.objects.issued().at_regie().with_balance()
    overdue = Q(due_date__lt=today)
    return open_invoices.aggregate(
        unpaid_total=Coalesce(Sum("balance_due"), NO_AMOUNT),
        unpaid_count=Count("pk"),
        overdue_total=Coalesce(Sum("balance_due", filter=overdue), NO_AMOUNT),
        overdue_count=Count("pk", filter=overdue),
        **overdue_age_sums(today=today),
    )


def payment_figures(now):
    since = now - datetime.timedelta(days=RECENT_PAYMENTS_DAYS)
    recent = Q(status=Payment.Status.PAID, created_at__gte=since)
    figures = Payment.objects.aggregate(
        recent_count=Count("pk", filter=recent),
        recent_total=Coalesce(Sum("amount", filter=recent), NO_AMOUNT),
        in_flight=Count("pk", filter=Q(method=Payment.Method.ONLINE, status=Payment.Status.INITIATED)),
        mismatches=Count("pk", filter=Q(status=Payment.Status.MISMATCH, mismatch_reviewed_at__isnull=True)),
    )
    figures["latest"] = list(Payment.objects.settled().select_related("household").order_by("-created_at")[:5])
    return figures


def direct_debit_figures(today):
    """Households under direct debit, mandates to validate, the next debit date with its count and
    amount, and this month's rejects."""
    mandates = Mandate.objects.aggregate(
        households=Count("household", distinct=True, filter=Q(status=Mandate.Status.ACTIVE)),
        pending=Count("pk", filter=Q(status=Mandate.Status.PENDING)),
    )
    next_debits = (
        DirectDebit.objects.filter(status=DirectDebit.Status.SCHEDULED, debit_date__gte=today)
        .values("debit_date").annotate(count=Count("pk"), amount=Sum("amount")).order_by("debit_date").first()
    ) or {"debit_date": None, "count": 0, "amount": ZERO}
    rejects = DirectDebit.objects.filter(
        status=DirectDebit.Status.REJECTED, rejected_at__date__gte=today.replace(day=1)
    ).aggregate(count=Count("pk"), amount=Coalesce(Sum("amount"), NO_AMOUNT))
    return {**mandates, "next_date": next_debits["debit_date"], "next": next_debits, "rejects": rejects}


def _plural(count, word):
    return f"{count} {word}{'s' if count > 1 else ''}"


def billing_figures(request, *, now=None):
    """Invoice and payment figures for the staff who may see them (None for the others)."""
    user = request.user
    can_invoices, can_payments = user.has_perm("core.view_invoice"), user.has_perm("core.view_payment")
    can_runs = user.has_perm("core.view_invoicerun")
    if not (can_invoices or can_payments or can_runs):
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    billing = {"cards": []}
    if can_invoices:
        invoices = invoice_figures(today)
        invoice_list = reverse("admin:core_invoice_changelist")
        billing["cards"] += [
            {
                "id": "unpaid",
                "title": "Reste à encaisser",
                "value": euros(invoices["unpaid_total"]),
                "note": f"{invoices['unpaid_count']} facture{'s' if invoices['unpaid_count'] > 1 else ''} ouverte"
                f"{'s' if invoices['unpaid_count'] > 1 else ''}",
                "href": f"{invoice_list}?a_encaisser=ouvertes",
            },
            {
                "id": "overdue",
                "title": "Factures échues",
                "value": invoices["overdue_count"],
                "note": f"{euros(invoices['overdue_total'])} après l'échéance",
                "href": f"{invoice_list}?a_encaisser=echues",
                "alert": bool(invoices["overdue_count"]),
            },
        ]
        billing["overdue_ages"] = [
            {"label": age["label"], "amount": euros(age["amount"])} for age in overdue_ages(invoices)
        ]
    if can_payments:
        payments = payment_figures(now)
        payment_list = reverse("admin:core_payment_changelist")
        billing["cards"] += [
            {
                "id": "recent-payments",
                "title": f"Paiements des {RECENT_PAYMENTS_DAYS} derniers jours",
                "value": euros(payments["recent_total"]),
                "note": f"{payments['recent_count']} paiement{'s' if payments['recent_count'] > 1 else ''}",
                "href": f"{payment_list}?status__exact=paid",
            },
            {
                "id": "in-flight",
                "title": "Paiements en ligne en cours",
                "value": payments["in_flight"],
                "note": f"{payments['mismatches']} anomalie{'s' if payments['mismatches'] > 1 else ''} à vérifier",
                "href": f"{payment_list}?a_traiter=en_cours",
                "alert": bool(payments["mismatches"]),
            },
        ]
        billing["latest_payments"] = [
            {
                "when": timezone.localtime(p.created_at),
                "household": p.household,
                "method": p.get_method_display(),
                "amount": euros(p.amount),
                "href": reverse("admin:core_payment_change", args=[p.pk]),
            }
            for p in payments["latest"]
        ]
        billing["anomalies_href"] = f"{payment_list}?a_traiter=anomalies"
    if user.has_perm("core.view_mandate") and user.has_perm("core.view_directdebit"):
        debits = direct_debit_figures(today)
        mandate_list, debit_list = reverse("admin:core_mandate_changelist"), reverse("admin:core_directdebit_changelist")
        next_date = debits["next_date"]
        billing["cards"] += [
            {
                "id": "direct-debit",
                "title": "Foyers en prélèvement",
                "value": debits["households"],
                "note": f"{_plural(debits['pending'], 'mandat')} à valider",
                "href": f"{mandate_list}?status__exact=pending",
                "alert": bool(debits["pending"]),
            },
            {
                "id": "next-debit",
                "title": "Prochain prélèvement",
                "value": f"{next_date:%d/%m/%Y}" if next_date else "—",
                "note": f"{_plural(debits['next']['count'], 'facture')}, {euros(debits['next']['amount'])}"
                if next_date else "Aucun prélèvement prévu",
                "href": f"{debit_list}?status__exact=scheduled",
            },
            {
                "id": "rejects",
                "title": "Rejets du mois",
                "value": debits["rejects"]["count"],
                "note": euros(debits["rejects"]["amount"]),
                "href": f"{debit_list}?rejets=mois",
                "alert": bool(debits["rejects"]["count"]),
            },
        ]
    if can_runs:
        runs = InvoiceRun.objects.exclude(status=InvoiceRun.Status.ISSUED).select_related("regie")[:5]
        billing["runs"] = [
            {
                "label": str(run),
                "status": run.get_status_display(),
                "percent": run.progress_percent,
                "href": reverse("admin:core_invoicerun_change", args=[run.pk]),
            }
            for run in runs
        ]
        billing["runs_href"] = reverse("admin:core_invoicerun_changelist")
    return billing


def enrolment_figures(request, *, today=None):
    """Requests of the campaigns whose school year has not ended: to review, to complete, accepted
    (None for staff who may not see them)."""
    if not request.user.has_perm("core.view_enrolmentrequest"):
        return None
    today = today or timezone.localdate()
    Status = EnrolmentRequest.Status
    counts = EnrolmentRequest.objects.filter(campaign__school_year__end_date__gte=today).aggregate(
        submitted=Count("pk", filter=Q(status=Status.SUBMITTED)),
        incomplete=Count("pk", filter=Q(status=Status.INCOMPLETE)),
        accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
    )
    queue = reverse("admin:core_enrolmentrequest_changelist")
    return [
        {"id": "submitted", "title": "Dossiers d'inscription à examiner", "value": counts["submitted"],
         "href": f"{queue}?status__exact=submitted", "alert": bool(counts["submitted"])},
        {"id": "incomplete", "title": "Dossiers à compléter par les familles", "value": counts["incomplete"],
         "href": f"{queue}?status__exact=incomplete"},
        {"id": "accepted", "title": "Dossiers acceptés", "value": counts["accepted"],
         "href": f"{queue}?status__exact=accepted"},
    ]


def to_review(request, today):
    """Pending absences and children waiting for a place, for the staff who may see them."""
    user = request.user
    figures = {"absences": None, "waiting": None}
    if user.has_perm("core.view_absencedeclaration"):
        figures["absences"] = AbsenceDeclaration.objects.filter(status=AbsenceDeclaration.Status.PENDING).count()
        figures["absences_href"] = f"{reverse('admin:core_absencedeclaration_changelist')}?status__exact=pending"
    if user.has_perm("core.view_waitinglistentry"):
        figures["waiting"] = WaitingListEntry.objects.waiting().filter(date__gte=today).count()
        figures["waiting_href"] = f"{reverse('admin:core_waitinglistentry_changelist')}?status__exact=waiting"
    return figures


def leisure_windows(request, now):
    """The ALSH registration windows open or to come, with their live fill rate."""
    if not request.user.has_perm("core.view_booking"):
        return None
    from core.services.leisure import dashboard_windows

    return dashboard_windows(now=now)


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
            "enrolment_cards": enrolment_figures(request, today=today),
            "to_review": to_review(request, today),
            "leisure_windows": leisure_windows(request, now),
            "leisure_planning_href": reverse("admin:core_registrationwindow_planning"),
            "links": {
                "headcounts": reverse("admin:core_booking_headcounts"),
                "attendance": reverse("admin:core_attendance_sheet"),
                "bookings": reverse("admin:core_booking_changelist"),
            },
        }
    )
    return context

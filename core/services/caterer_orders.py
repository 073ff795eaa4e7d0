"""The caterer's order: when the bookings of a service day lock (the booking and cancellation
deadlines of every meal service are past), each school's meal counts for that day go to its
kitchen or caterer, as a PDF and a spreadsheet, once; a staff change on a locked day sends a
correction. Counts only, never a child's name."""

import datetime
import io

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import tasks
from core.constants import PARIS
from core.emails import queue_email
from core.models import Activity, Booking, CatererOrder, School
from core.pdf import render_pdf
from core.services import french_dates
from core.services.calendar import ServiceCalendar, daterange
from core.services.deadlines import CALENDAR_LOOKBACK, Action, activity_deadline

LOOKAHEAD_DAYS = 21  # deadlines never lie further ahead than this
NO_DIET = "Sans régime"


def day_lock(*, day: datetime.date, meals: list, calendar: ServiceCalendar | None = None) -> datetime.datetime | None:
    """The instant the meal bookings of `day` stop changing for families: the latest booking or
    cancellation deadline of the meal services (None without any)."""
    deadlines = [
        activity_deadline(activity=activity, day=day, action=action, calendar=calendar)
        for activity in meals
        for action in (Action.BOOK, Action.CANCEL)
    ]
    return max(deadlines, default=None)


def caterer_counts(*, school: School, day: datetime.date) -> dict:
    """The meals of `school` on `day`: per service, and per service and diet (counts only);
    bookings on a closed day are not counted (the headcounts' rule)."""
    bookings = Booking.objects.active().filter(date=day, child__school=school, activity__kind=Activity.Kind.MEAL)
    closed = ServiceCalendar.load(day, day).closed_bookings_q()
    if closed is not None:
        bookings = bookings.exclude(closed)
    rows = list(
        bookings.values("activity__name", "activity__position").annotate(
            n=Count("pk"), pai=Count("pk", filter=Q(child__has_pai=True)), allergies=Count("pk", filter=~Q(child__allergies=""))
        ).order_by("activity__position", "activity__name")
    )
    diets = bookings.exclude(child__diet="").values("activity__name", "child__diet").annotate(n=Count("pk"))
    return {
        "rows": [{"activity": r["activity__name"], "count": r["n"], "pai": r["pai"], "allergies": r["allergies"]} for r in rows],
        "diets": sorted(
            ({"activity": d["activity__name"], "diet": d["child__diet"], "count": d["n"]} for d in diets),
            key=lambda d: (d["activity"], d["diet"]),
        ),
        "total": sum(r["n"] for r in rows),
    }


def caterer_orders_send_due(*, now: datetime.datetime | None = None) -> list[CatererOrder]:
    """Send the order of every school with a caterer address for each coming day whose meal
    bookings just locked; a day already ordered is never ordered again (run every few minutes)."""
    now = now or timezone.now()
    today = now.astimezone(PARIS).date()
    meals = list(Activity.objects.filter(kind=Activity.Kind.MEAL).select_related("booking_rule", "cancellation_rule"))
    schools = list(School.objects.exclude(caterer_email=""))
    if not (meals and schools):
        return []
    end = today + datetime.timedelta(days=LOOKAHEAD_DAYS)
    calendar = ServiceCalendar.load(today - CALENDAR_LOOKBACK, end)
    sent = []
    for day in daterange(today, end):
        lock = day_lock(day=day, meals=meals, calendar=calendar)
        if lock is None or now <= lock:
            continue
        for school in schools:
            if calendar.closure_reason(day, school_id=school.pk):
                continue  # no service that day for the whole school
            if CatererOrder.objects.filter(school=school, day=day, kind=CatererOrder.Kind.ORDER, sent_at__isnull=False).exists():
                continue
            if not caterer_counts(school=school, day=day)["total"]:
                continue  # no meal: nothing to order (a late override then sends the order)
            order = _create(school=school, day=day, kind=CatererOrder.Kind.ORDER, now=now)
            if order is not None and caterer_order_send(order_id=order.pk, now=now):
                sent.append(order)
    return sent


def _create(*, school, day, kind, now):
    try:
        with transaction.atomic():
            return CatererOrder.objects.create(school=school, day=day, kind=kind, recipient=school.caterer_email, created_at=now)
    except IntegrityError:
        return CatererOrder.objects.filter(school=school, day=day, kind=kind, sent_at__isnull=True).first()


@transaction.atomic
def caterer_order_context(order: CatererOrder) -> dict:
    """What the order's PDF and email show: the day in French, the counts and their totals."""
    rows = order.counts["rows"]
    return {"order": order, "day_label": french_dates.full_label(order.day), **order.counts,
            "total_pai": sum(r["pai"] for r in rows), "total_allergies": sum(r["allergies"] for r in rows)}


def caterer_order_send(*, order_id: int, now: datetime.datetime | None = None) -> bool:
    """Count, render and email one order; claimed first by a conditional UPDATE so that it is
    sent once whoever runs it (a failure rolls the claim back for the next run)."""
    now = now or timezone.now()
    if not CatererOrder.objects.filter(pk=order_id, sent_at__isnull=True).update(sent_at=now):
        return False
    order = CatererOrder.objects.select_related("school").get(pk=order_id)
    order.counts = caterer_counts(school=order.school, day=order.day)
    order.total = order.counts["total"]
    name = f"commande-{order.school.pk}-{order.day:%Y-%m-%d}-{order.pk}"
    context = caterer_order_context(order)
    order.pdf.save(f"{name}.pdf", ContentFile(render_pdf("caterer/order.html", context)), save=False)
    order.xlsx.save(f"{name}.xlsx", ContentFile(_spreadsheet(order)), save=False)
    order.save(update_fields=["counts", "total", "pdf", "xlsx"])
    queue_email(
        kind="caterer_order",
        recipients=[order.recipient],
        context=context,
        attachments=[
            (f"{name}.pdf", order.pdf.name, "application/pdf"),
            (f"{name}.xlsx", order.xlsx.name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ],
    )
    return True


def _spreadsheet(order) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Repas"
    sheet.append([f"{order.get_kind_display()} — {order.school.name} — {order.day:%d/%m/%Y}"])
    sheet.append(["Prestation", "Repas", "dont PAI", "dont allergies"])
    for row in order.counts["rows"]:
        sheet.append([row["activity"], row["count"], row["pai"], row["allergies"]])
    sheet.append(["Total", order.counts["total"]])
    diets = book.create_sheet("Régimes")
    diets.append(["Prestation", "Régime", "Repas"])
    for row in order.counts["diets"]:
        diets.append([row["activity"], row["diet"], row["count"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def caterer_correction_if_locked(*, school_id: int | None, day: datetime.date, now: datetime.datetime | None = None) -> None:
    """After a staff change on `day`: once that day is locked for families, the school's kitchen
    gets the new counts (a correction, or the order itself if none went out), after commit."""
    if not school_id or not School.objects.filter(pk=school_id).exclude(caterer_email="").exists():
        return
    meals = list(Activity.objects.filter(kind=Activity.Kind.MEAL).select_related("booking_rule", "cancellation_rule"))
    lock = day_lock(day=day, meals=meals)
    if lock is not None and (now or timezone.now()) > lock:
        tasks.enqueue(tasks.send_caterer_correction, school_id, day.isoformat(), group="caterer")


def caterer_correction_send(*, school_id: int, day: datetime.date, now: datetime.datetime | None = None) -> CatererOrder:
    """The day's counts as they now stand, to the school's kitchen: a correction of the order
    already sent, or the order itself when none went out (the day had no meal at the cut-off)."""
    now = now or timezone.now()
    school = School.objects.get(pk=school_id)
    ordered = CatererOrder.objects.filter(school=school, day=day, kind=CatererOrder.Kind.ORDER, sent_at__isnull=False).exists()
    if ordered:
        order = CatererOrder.objects.create(
            school=school, day=day, kind=CatererOrder.Kind.CORRECTION, recipient=school.caterer_email, created_at=now
        )
    else:
        order = _create(school=school, day=day, kind=CatererOrder.Kind.ORDER, now=now)
    if order is not None:
        caterer_order_send(order_id=order.pk, now=now)
    return order

"""Espace Famille: Mes réservations (the week grid and the basket), Réserver sur une période and
Mes inscriptions. Thin views: core.services decides every state and deadline; these parse the
form, call one service and render. portail/static/portail/reservations.js makes the same changes
through the JSON API when JavaScript runs; without it the forms below post here."""

import datetime
from functools import lru_cache
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.models import Activity, BasketItem, Enrolment
from core.services import basket as basket_service
from core.services import french_dates
from core.services.bookings import CellState, Refusal, week_view
from core.services.calendar import OUT_OF_HORIZON_MESSAGE, within_horizon
from core.services.deadlines import PARIS
from portail.forms import PeriodForm
from portail.views.base import guardian_required

REPORT_KEY = "portail_basket_report"
REPORT_ANCHOR = "bilan"  # the report's id: following the link focuses it
CELL_MESSAGE_TAG = "cellule"  # a change's message, shown with its cell rather than atop the page (RGAA 11.10)


# --- Reading the request ---------------------------------------------------------------------------


def _requested_day(value, today):
    """A day of the wanted week from `?date=AAAA-MM-JJ`; today when absent, malformed or absurd."""
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return day if within_horizon(day, today=today) else today


def _week_url(day):
    return f"{reverse('portail:reservations')}?date={day.isoformat()}"


# --- Mes réservations ---------------------------------------------------------------------------


def _cell_view(child_id, activity_id, cell):
    """How a cell looks and what clicking it asks for; the rules behind it are the week view's."""
    if cell is None:
        return None
    if cell.pending is not None:
        look = f"pending-{cell.pending.action}"
        change = f"remove:{cell.pending.item_id}"
        hint = "Dans le panier : cliquez pour retirer ce changement."
    elif cell.can_change:
        look = "booked" if cell.is_booked else "free"
        action = BasketItem.Action.CANCEL if cell.is_booked else BasketItem.Action.BOOK
        change = f"{action}:{child_id}:{activity_id}:{cell.date.isoformat()}"
        verb = "Annulation" if cell.is_booked else "Réservation"
        hint = f"{verb} possible jusqu'au {cell.deadline_label}."
    elif cell.state == CellState.LOCKED:
        look = "locked-booked" if cell.is_booked else "locked"
        change = None
        hint = f"Délai dépassé le {cell.deadline_label}."
    else:
        look, change, hint = "closed", None, cell.closure_reason
    return {
        "cell": cell,
        "look": look,
        "icon": _icon(look),
        "change": change,
        "hint": hint,
        "dom_id": _cell_dom_id(child_id, activity_id, cell.date),
    }


@lru_cache(maxsize=16)
def _icon(look):
    """A cell's icon, rendered once per process from its template: the grid repeats a handful of
    icons, and an inclusion per cell cost more than the rest of the cell's markup."""
    return render_to_string("portail/espace_famille/_icon.html", {"look": look})


def _cell_dom_id(child_id, activity_id, day):
    return f"jour-{child_id}-{activity_id}-{day.isoformat()}"


def _grid(view):
    """The week view laid out for the table: one slot per column, None where the activity does
    not run that weekday."""
    children = []
    for child in view.children:
        rows = []
        for row in child.rows:
            by_date = {cell.date: cell for cell in row.cells}
            slots = [_cell_view(child.child_id, row.activity_id, by_date.get(day.date)) for day in view.days]
            rows.append({"activity_id": row.activity_id, "name": row.activity_name, "slots": slots})
        children.append({"child": child, "rows": rows})
    return children


def _basket_line_label(item):
    """« Junior TEST, Repas maternelle, jeudi 3 décembre : réservation »: who, what, when and which
    change, for the remove button and the message after removal (RGAA 11.9)."""
    return (
        f"{item.child.full_name}, {item.activity.name}, {french_dates.long_label(item.date)} : "
        f"{item.get_action_display().lower()}"
    )


def _basket_groups(items):
    """The basket's changes by child, then day."""
    items = sorted(items, key=lambda i: (i.child.first_name, i.child_id, i.date, i.activity.position, i.activity.name))
    groups = []
    for _, child_items in groupby(items, key=lambda i: i.child_id):
        child_items = list(child_items)
        lines = [
            {
                "item": item,
                "day": french_dates.short_label(item.date),
                "long_day": french_dates.long_label(item.date),
                "label": _basket_line_label(item),
                "problem": item.problem.message if item.problem else None,
            }
            for item in child_items
        ]
        groups.append({"child": child_items[0].child, "lines": lines})
    return groups


@guardian_required("espace-famille")
def reservations(request):
    """Mes réservations: a week of the household's grid, the basket beside it, and the report of
    the last validation or period booking."""
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    day = _requested_day(request.GET.get("date"), today)
    view = week_view(guardian=request.guardian, day=day, now=now)
    # The week view read the basket's lines already: an empty basket needs no second look.
    items = basket_service.basket_items(guardian=request.guardian, now=now) if view.pending_count else []
    cell_message, other_messages = _split_cell_message(request)
    context = {
        "week": view,
        "grid": _grid(view),
        "basket_groups": _basket_groups(items),
        "basket_count": len(items),
        "report": request.session.pop(REPORT_KEY, None),
        "cell_message": cell_message,
        "messages": other_messages,
        "today": today,
        "is_current_week": view.week_start <= today <= view.week_end,
        "tab": "reservations",
    }
    return render(request, "portail/reservations.html", context)


def _back_to_week(request, anchor=""):
    day = _requested_day(request.POST.get("date"), timezone.now().astimezone(PARIS).date())
    return redirect(_week_url(day) + (f"#{anchor}" if anchor else ""))


@guardian_required("espace-famille")
@require_POST
def basket_change(request):
    """A click on a cell without JavaScript: `book|cancel:<child>:<activity>:<date>` puts the change
    in the basket, `remove:<item>` takes it out. The services refuse what the rules refuse."""
    kind, _, rest = request.POST.get("change", "").partition(":")
    try:
        if kind == "remove":
            item_id = int(rest)
        elif kind in (BasketItem.Action.BOOK, BasketItem.Action.CANCEL):
            child_id, activity_id, day = rest.split(":")
            child_id, activity_id, day = int(child_id), int(activity_id), datetime.date.fromisoformat(day)
        else:
            raise ValueError(kind)
    except ValueError:
        return HttpResponseBadRequest("Changement invalide.")
    if kind != "remove" and not within_horizon(day, today=timezone.now().astimezone(PARIS).date()):
        return HttpResponseBadRequest(OUT_OF_HORIZON_MESSAGE)

    if kind == "remove":
        item = (
            BasketItem.objects.filter(basket__guardian=request.guardian, pk=item_id)
            .select_related("child", "activity")
            .first()
        )
        try:
            basket_service.basket_remove(guardian=request.guardian, item_id=item_id)
        except BasketItem.DoesNotExist:
            raise Http404 from None
        dom_id = _cell_dom_id(item.child_id, item.activity_id, item.date)
        _cell_message(request, dom_id, messages.INFO, f"Retiré du panier : {_basket_line_label(item)}.")
        return _back_to_week(request, anchor=dom_id)

    child = get_object_or_404(request.household.children.all(), pk=child_id)
    activity = get_object_or_404(Activity.objects.filter(is_active=True), pk=activity_id)
    dom_id = _cell_dom_id(child.pk, activity.pk, day)
    try:
        basket_service.basket_add(guardian=request.guardian, child=child, activity=activity, day=day, action=kind)
    except ValidationError as error:
        _cell_message(request, dom_id, messages.ERROR, error.messages[0])
    else:
        label = "Réservation" if kind == BasketItem.Action.BOOK else "Annulation"
        text = f"{label} ajoutée au panier : {child.full_name}, {activity.name}, {french_dates.long_label(day)}."
        _cell_message(request, dom_id, messages.SUCCESS, text)
    return _back_to_week(request, anchor=dom_id)


def _cell_message(request, dom_id, level, text):
    """The message of a change made without JavaScript: the page shows it above the grid and ties it
    to the cell the link focuses (aria-describedby), so that it is read with the cell instead of
    sitting in a status region filled at load, which screen readers do not read."""
    messages.add_message(request, level, text, extra_tags=f"{CELL_MESSAGE_TAG} {dom_id}")


def _split_cell_message(request):
    """(the cell's message or None, the page's other messages)."""
    cell_message, others = None, []
    for message in messages.get_messages(request):
        tag, _, dom_id = message.extra_tags.partition(" ")
        if tag == CELL_MESSAGE_TAG:
            cell_message = {"cell": dom_id, "text": message.message, "refused": message.level == messages.ERROR}
        else:
            others.append(message)
    return cell_message, others


@guardian_required("espace-famille")
@require_POST
def basket_clear(request):
    removed = basket_service.basket_clear(guardian=request.guardian)
    if removed:
        messages.info(request, "Le panier a été vidé.")
    return _back_to_week(request)


def _line(child, activity, day):
    return f"{child.full_name}, {activity.name}, {french_dates.short_label(day)}"


def _validation_report(result, household):
    """What the validation did, in French, ready for the session (plain strings only)."""
    children = {c.pk: c for c in household.children.all()}
    activity_ids = {b.activity_id for b in [*result.booked, *result.cancelled]}
    activities = Activity.objects.in_bulk(activity_ids)
    applied = [
        {"action": label, "text": _line(children[b.child_id], activities[b.activity_id], b.date), "sort": (b.date, b.child_id)}
        for label, bookings in (("Réservé", result.booked), ("Annulé", result.cancelled))
        for b in bookings
    ]
    applied.sort(key=lambda line: line.pop("sort"))
    local = result.validated_at.astimezone(PARIS)
    outcome, summary = _validation_outcome(result)
    return {
        "kind": "validation",
        "title": f"Validation du panier du {local:%d/%m/%Y} à {local:%H}h{local:%M}",
        "outcome": outcome,
        "summary": summary,
        "applied": applied,
        "unchanged": [_line(i.child, i.activity, i.date) for i in result.unchanged],
        "refused": [r.reason for r in result.refused],
        "emailed": bool(result.applied_count),
    }


def _counted(count, noun):
    """"2 réservations enregistrées", "1 annulation enregistrée", "" for none."""
    plural = "s" if count > 1 else ""
    return f"{count} {noun}{plural} enregistrée{plural}" if count else ""


def _validation_outcome(result):
    """What the page title and the announcement say first: (« Panier validé », the sentence)."""
    if result.applied_count:
        counts = [_counted(len(result.booked), "réservation"), _counted(len(result.cancelled), "annulation")]
        summary = f"Panier validé : {' et '.join(c for c in counts if c)}. Un email de confirmation vous a été envoyé."
        if result.refused:
            return "Panier validé en partie", f"{summary} D'autres changements ont été refusés : voyez pourquoi ci-dessous."
        return "Panier validé", summary
    if result.refused:
        return "Panier refusé", "Aucun changement n'a pu être enregistré : voyez pourquoi ci-dessous."
    if result.unchanged:
        return "Panier validé", "Ces changements étaient déjà enregistrés."
    return "Panier vide", "Votre panier est vide : il n'y a rien à valider."


@guardian_required("espace-famille")
@require_POST
def basket_validate(request):
    """« Valider le panier »: apply what is still within its deadline, report the rest. The week
    comes back focused on the report (#bilan takes focus), which names the outcome (RGAA 7.5)."""
    result = basket_service.basket_validate(guardian=request.guardian)
    request.session[REPORT_KEY] = _validation_report(result, request.household)
    return _back_to_week(request, anchor=REPORT_ANCHOR)


# --- Réserver sur une période ------------------------------------------------------------------------


def _period_report(result, children, activity):
    names = {c.pk: c.first_name for c in children}
    skipped = [
        f"{names[s.child_id]}, {activity.name}, {french_dates.short_label(s.date)} : déjà dans le panier."
        if s.code == Refusal.IN_BASKET
        else s.reason
        for s in sorted(result.skipped, key=lambda s: (s.date, names[s.child_id]))
    ]
    added = len(result.added)
    plural = "s" if added > 1 else ""
    return {
        "kind": "period",
        "title": "Réservation sur une période",
        "outcome": f"{added} jour{plural} ajouté{plural} au panier" if added else "Aucun jour ajouté au panier",
        "added": added,
        "skipped": skipped,
    }


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def period(request):
    """« Réserver sur une période »: every chosen weekday between two dates, for one or several
    children, lands in the basket for review; the days left out are listed with why."""
    household = request.household
    form = PeriodForm(request.POST or None, household=household, today=timezone.now().astimezone(PARIS).date())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        children = list(data["children"])
        try:
            result = basket_service.basket_add_period(
                guardian=request.guardian, children=children, activity=data["activity"], start=data["start"],
                end=data["end"], weekdays=data["weekdays"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[REPORT_KEY] = _period_report(result, children, data["activity"])
            first = min((item.date for item in result.added), default=data["start"])
            return redirect(f"{_week_url(first)}#{REPORT_ANCHOR}")
    status = 400 if request.method == "POST" else 200  # a valid POST has redirected
    return render(request, "portail/period.html", {"form": form, "tab": "reservations"}, status=status)


# --- Mes inscriptions ----------------------------------------------------------------------------


def _children_with_enrolments(household):
    enrolments = Enrolment.objects.select_related("activity", "school_year").order_by(
        "-school_year__start_date", "activity__position", "activity__name"
    )
    return household.children.select_related("school").prefetch_related(Prefetch("enrolments", queryset=enrolments))


@guardian_required("espace-famille")
def enrolments(request):
    """Mes inscriptions: the household's children and their enrolments."""
    return render(
        request, "portail/enrolments.html", {"children": _children_with_enrolments(request.household), "tab": "enrolments"}
    )

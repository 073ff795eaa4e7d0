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

from core.models import Activity, BasketItem, Enrolment, WaitingListEntry
from core.services import absences as absence_service
from core.services import basket as basket_service
from core.services import estimates
from core.services import model_weeks as model_week_service
from core.services import french_dates
from core.services import waiting_lists as waiting_list_service
from core.services.bookings import FULL_REASON, CellState, Refusal, week_view
from core.services.calendar import OUT_OF_HORIZON_MESSAGE, within_horizon
from core.services.deadlines import PARIS, deadline_label, is_past
from core.services.reference import reference_data
from portail.forms import AbsenceForm, ModelWeekApplyForm, ModelWeekForm, PeriodForm
from portail.views import absences as absence_views
from portail.views.base import guardian_required
from portail.views.enrolment_requests import household_requests, open_campaign_rows

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
    elif cell.closure_reason == FULL_REASON:
        look, change, hint = "closed", None, "Complet : rejoignez la liste d'attente sous la grille."
    else:
        look, change, hint = "closed", None, cell.closure_reason
    if cell.absence_label:
        hint = f"{hint} {cell.absence_label.capitalize()}."
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
                "price": getattr(item, "price", None),
            }
            for item in child_items
        ]
        groups.append({"child": child_items[0].child, "lines": lines})
    return groups


def _waiting_lists(view, household, now):
    """The household's places in waiting lists still to come, and the full days of the shown week
    it may queue for (the service decides again when the parent asks)."""
    today = now.astimezone(PARIS).date()
    entries = list(
        WaitingListEntry.objects.waiting().filter(child__household=household, date__gte=today)
        .select_related("child", "activity__booking_rule").order_by("date", "activity__position", "child__first_name")
    )
    ranks = waiting_list_service.waiting_list_positions(entries)
    waiting = set()
    lines = []
    for entry in entries:
        waiting.add((entry.child_id, entry.activity_id, entry.date))
        deadline = waiting_list_service.waiting_list_deadline(activity=entry.activity, day=entry.date)
        lines.append({
            "entry": entry,
            "day": french_dates.short_label(entry.date),
            "long_day": french_dates.long_label(entry.date),
            "rank": ranks.get(entry.pk),
            "is_closed": is_past(deadline, now=now),
            "deadline": deadline_label(deadline),
        })
    full_days = [
        {
            "child_id": child.child_id, "first_name": child.first_name, "activity_id": row.activity_id,
            "activity": row.activity_name, "date": cell.date, "long_day": french_dates.long_label(cell.date),
        }
        for child in view.children
        for row in child.rows
        for cell in row.cells
        if cell.closure_reason == FULL_REASON and not cell.is_booked and cell.date >= today
        and (child.child_id, row.activity_id, cell.date) not in waiting
    ]
    return {"lines": lines, "full_days": full_days}


@guardian_required("espace-famille")
def reservations(request):
    """Mes réservations: a week of the household's grid, the basket beside it, and the report of
    the last validation or period booking."""
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    day = _requested_day(request.GET.get("date"), today)
    reference = reference_data()  # one read of the version token for the week and its prices
    view = week_view(guardian=request.guardian, day=day, now=now, reference=reference)
    # The week view read the basket's lines already: an empty basket needs no second look.
    items = basket_service.basket_items(guardian=request.guardian, now=now) if view.pending_count else []
    # The month of the week's Thursday: a week spanning two months counts in the one holding most days.
    prices = estimates.week_prices(
        household=request.household, items=items, month=view.week_start + datetime.timedelta(days=3),
        reference=reference,
    )
    cell_message, other_messages = _split_cell_message(request)
    context = {
        "basket_effects": prices.effects,
        "estimate": prices.estimate,
        "week": view,
        "grid": _grid(view),
        "basket_groups": _basket_groups(items),
        "basket_count": len(items),
        "waiting": _waiting_lists(view, request.household, now),
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


# --- Listes d'attente ----------------------------------------------------------------------------


@guardian_required("espace-famille")
@require_POST
def waiting_list_join(request):
    """« Rejoindre la liste d'attente » of a full day: `day` is `<child>:<activity>:<AAAA-MM-JJ>`."""
    try:
        child_id, activity_id, day = request.POST.get("day", "").split(":")
        child_id, activity_id, day = int(child_id), int(activity_id), datetime.date.fromisoformat(day)
    except ValueError:
        return HttpResponseBadRequest("Jour invalide.")
    child = get_object_or_404(request.household.children.all(), pk=child_id)
    activity = get_object_or_404(Activity.objects.filter(is_active=True), pk=activity_id)
    try:
        entry = waiting_list_service.waiting_list_join(guardian=request.guardian, child=child, activity=activity, day=day)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        rank = waiting_list_service.waiting_list_positions([entry])[entry.pk]
        messages.success(
            request,
            f"{child.first_name} est sur la liste d'attente « {activity.name} » du {french_dates.long_label(day)}, "
            f"au rang {rank}. Si une place se libère, elle lui sera attribuée et vous recevrez un email.",
        )
    return _back_to_week(request, anchor="listes-attente")


@guardian_required("espace-famille")
@require_POST
def waiting_list_leave(request, entry_id):
    """« Quitter la liste d'attente »: another household's entry is not found."""
    try:
        entry = waiting_list_service.waiting_list_leave(guardian=request.guardian, entry_id=entry_id)
    except WaitingListEntry.DoesNotExist:
        raise Http404 from None
    messages.info(
        request,
        f"{entry.child.first_name} n'est plus sur la liste d'attente « {entry.activity.name} » du "
        f"{french_dates.long_label(entry.date)}.",
    )
    return _back_to_week(request, anchor="listes-attente")


# --- Réserver sur une période ------------------------------------------------------------------------


def _period_report(result, children, title="Réservation sur une période"):
    names = {c.pk: c.first_name for c in children}
    activities = Activity.objects.in_bulk({s.activity_id for s in result.skipped if s.code == Refusal.IN_BASKET})
    skipped = [
        f"{names[s.child_id]}, {activities[s.activity_id].name}, {french_dates.short_label(s.date)} : déjà dans le panier."
        if s.code == Refusal.IN_BASKET
        else s.reason
        for s in sorted(result.skipped, key=lambda s: (s.date, names[s.child_id]))
    ]
    added = len(result.added)
    plural = "s" if added > 1 else ""
    return {
        "kind": "period",
        "title": title,
        "outcome": f"{added} jour{plural} ajouté{plural} au panier" if added else "Aucun jour ajouté au panier",
        "added": added,
        "skipped": skipped,
    }


def _period_done(request, result, children, start, title="Réservation sur une période"):
    request.session[REPORT_KEY] = _period_report(result, children, title)
    first = min((item.date for item in result.added), default=start)
    return redirect(f"{_week_url(first)}#{REPORT_ANCHOR}")


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def period(request):
    """« Réserver sur une période »: every chosen weekday between two dates, for one or several
    children and one activity or a whole service (« la cantine »), lands in the basket for review;
    the days left out are listed with why."""
    household = request.household
    form = PeriodForm(request.POST or None, household=household, today=timezone.now().astimezone(PARIS).date())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        children = list(data["children"])
        try:
            result = basket_service.basket_add_period(
                guardian=request.guardian, children=children, activity=data["activity"], kind=data["kind"],
                start=data["start"], end=data["end"], weekdays=data["weekdays"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _period_done(request, result, children, data["start"])
    status = 400 if request.method == "POST" else 200  # a valid POST has redirected
    return render(request, "portail/period.html", {"form": form, "tab": "reservations"}, status=status)


# --- Semaine type ---------------------------------------------------------------------------------


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def model_week(request):
    """« Ma semaine type »: save each child's usual days (one form), then apply them to a period,
    several children and schools at once (the other form): the days land in the basket."""
    household, today = request.household, timezone.now().astimezone(PARIS).date()
    children = list(household.children.order_by("first_name"))
    activities = model_week_service.model_week_activities(children=children)
    weeks, proposed = model_week_service.model_week_prefill(children=children)
    action = request.POST.get("action") if request.method == "POST" else None
    week_form = ModelWeekForm(
        request.POST if action == "save" else None, children=children, activities=activities, weeks=weeks,
        proposed=proposed,
    )
    apply_form = ModelWeekApplyForm(request.POST if action == "apply" else None, household=household, today=today)
    if action == "save" and week_form.is_valid():
        for child, _ in week_form.groups:
            model_week_service.model_week_save(guardian=request.guardian, child=child, days=week_form.days_of(child))
        messages.success(request, "Semaine type enregistrée.")
        return redirect(reverse("portail:model_week"))
    if action == "apply" and apply_form.is_valid():
        data = apply_form.cleaned_data
        chosen = list(data["children"])
        try:
            result = model_week_service.basket_apply_model_week(
                guardian=request.guardian, children=chosen, start=data["start"], end=data["end"], kind=data["kind"] or None,
            )
        except ValidationError as error:
            apply_form.add_error(None, error)
        else:
            return _period_done(request, result, chosen, data["start"], title="Semaine type appliquée")
    status = 400 if request.method == "POST" else 200  # a valid POST has redirected
    return render(
        request, "portail/model_week.html", {"week_form": week_form, "apply_form": apply_form, "tab": "reservations"},
        status=status,
    )


# --- Absences ---------------------------------------------------------------------------------


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def absences(request):
    """« Déclarer une absence »: for booked days past the cancellation deadline (before it, the
    basket cancels them); the household's declarations and the service's decisions below."""
    household = request.household
    initial = {"start": request.GET.get("date")} if request.GET.get("date") else None
    form = AbsenceForm(request.POST or None, request.FILES or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            declaration, left_out = absence_service.absence_declare(
                guardian=request.guardian, child=data["child"], start=data["start"], end=data["end"],
                reason=data["reason"], comment=data["comment"], certificate=data["certificate"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, absence_views.declared_message(declaration, left_out))
            return redirect(reverse("portail:absences"))
    status = 400 if request.method == "POST" else 200  # a valid POST has redirected
    return render(request, "portail/absences.html", {
        "form": form, **absence_views.page_context(household), "tab": "absences",
    }, status=status)


# --- Mes inscriptions ----------------------------------------------------------------------------


def _children_with_enrolments(household):
    enrolments = Enrolment.objects.select_related("activity", "school_year").order_by(
        "-school_year__start_date", "activity__position", "activity__name"
    )
    return household.children.select_related("school").prefetch_related(Prefetch("enrolments", queryset=enrolments))


@guardian_required("espace-famille")
def enrolments(request):
    """Mes inscriptions: the open campaigns' requests, then the children and their enrolments."""
    campaigns = open_campaign_rows(request.household, timezone.now())
    past_requests = household_requests(request.household).exclude(campaign__in=[row["campaign"] for row in campaigns])
    return render(request, "portail/enrolments.html", {
        "children": _children_with_enrolments(request.household), "tab": "enrolments",
        "campaigns": campaigns, "past_requests": past_requests.order_by("-campaign__opens_at", "child__first_name"),
    })

"""Home (Actualités), Espace Famille (Mes inscriptions) and Gestion du foyer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.models import Enrolment, News
from portail.forms import ContactForm
from portail.views.base import guardian_of, guardian_required, portal_page


@login_required
@portal_page("actualites")
def home(request):
    news = News.objects.published().order_by("-published_from")[:20]
    return render(request, "portail/home.html", {"news": news, "guardian": guardian_of(request.user)})


def _children_with_enrolments(household):
    enrolments = Enrolment.objects.select_related("activity", "school_year").order_by(
        "-school_year__start_date", "activity__position", "activity__name"
    )
    return household.children.select_related("school").prefetch_related(Prefetch("enrolments", queryset=enrolments))


@guardian_required("espace-famille")
def reservations(request):
    """Espace Famille: the household's children and their enrolments (Mes inscriptions)."""
    return render(request, "portail/reservations.html", {"children": _children_with_enrolments(request.household)})


@guardian_required("foyer")
def household(request):
    """Gestion du foyer: the household as the town knows it."""
    household = request.household
    return render(
        request,
        "portail/household.html",
        {
            "household": household,
            "guardian": request.guardian,
            "guardians": household.guardians.order_by("-is_billing_contact", "last_name", "first_name"),
            "children": household.children.select_related("school"),
            "quotient": household.quotient_on(timezone.localdate()),
        },
    )


@guardian_required("foyer")
@require_http_methods(["GET", "POST"])
def contact_edit(request):
    """A guardian edits their own phones and address, never another guardian's."""
    form = ContactForm(request.POST or None, instance=request.guardian)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Vos coordonnées sont enregistrées.")
        return redirect("portail:household")
    return render(request, "portail/contact_edit.html", {"form": form})

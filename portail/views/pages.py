"""Home (Actualités) and Gestion du foyer; Espace Famille lives in portail/views/reservations.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.models import CalendarFeed, News
from core.services.notices import notices_for_home
from portail.forms import ContactForm
from portail.views.base import guardian_of, guardian_required, portal_page


@login_required
@portal_page("actualites")
def home(request):
    news = News.objects.published().order_by("-published_from")[:20]
    guardian = guardian_of(request.user)
    notices = notices_for_home(household=guardian.household, today=timezone.localdate()) if guardian else []
    return render(request, "portail/home.html", {"news": news, "guardian": guardian, "notices": notices})


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
            "calendar_feed": CalendarFeed.objects.filter(guardian=request.guardian).first(),
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

"""The household's calendar feed: the guardian creates, replaces or stops its secret address
(Gestion du foyer); calendar apps read the feed at that address, without logging in."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.services.calendar_feed import calendar_feed_create, calendar_feed_for_token, calendar_feed_ics, calendar_feed_revoke
from portail.views.base import guardian_required


@guardian_required("foyer")
@require_POST
@never_cache
def calendar_feed_manage(request):
    """« Créer » or « Générer une nouvelle adresse » shows the address once, on this response
    (never stored in clear, never in a redirect or a message); « Désactiver » stops it."""
    if request.POST.get("action") == "desactiver":
        calendar_feed_revoke(guardian=request.guardian)
        messages.success(request, "L'adresse de votre calendrier est désactivée : les agendas abonnés ne sont plus mis à jour.")
        return redirect(reverse("portail:household") + "#calendrier-titre")
    _, token = calendar_feed_create(guardian=request.guardian)
    url = request.build_absolute_uri(reverse("portail:calendar_feed", args=[token]))
    return render(request, "portail/calendar_feed_created.html", {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]})


@require_GET
def calendar_feed(request, token):
    feed = calendar_feed_for_token(token)
    if feed is None:
        raise Http404
    response = HttpResponse(calendar_feed_ics(feed=feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response

"""Error pages: French pages for people, JSON for the API."""

from django.http import JsonResponse
from django.views import defaults


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Introuvable."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Erreur du serveur : réessayez dans un instant."}, status=500)
    return defaults.server_error(request)

"""The ceiling of the portal benchmark: a bare view through the whole middleware stack that
returns a small JSON without touching the database. Mounted only with BENCH_CEILING_VIEW=1."""

from django.http import JsonResponse


def ceiling(request):
    return JsonResponse({"ok": True, "produit": "Espace Famille"})

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("", include("portail.urls")),
]

if settings.BENCH_CEILING_VIEW:
    from config.bench import ceiling

    urlpatterns.insert(0, path("bench/plafond/", ceiling))

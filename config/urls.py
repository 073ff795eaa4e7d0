from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("api/v1/", include("portail.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("portail.urls")),
]

if settings.BENCH_CEILING_VIEW:
    from config.bench import ceiling

    urlpatterns.insert(0, path("bench/plafond/", ceiling))

# The local PayFiP stand-in; its views also refuse to serve unless DEBUG or PAYFIP_SIMULATOR_ALLOWED.
if settings.PAYMENT_BACKEND == "simulator":
    urlpatterns.insert(0, path("simulateur-payfip/", include("core.payfip.urls")))

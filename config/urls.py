from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from admin_ext import two_factor
from config.health import health

urlpatterns = [
    # Before the admin's own URLs, under its prefix: the admin's CSP and login apply.
    path("admin/", include(two_factor.urlpatterns)),
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("api/v1/", include("portail.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI is served from this server (drf-spectacular-sidecar) and styles itself inline.
    path(
        "api/docs/",
        csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("", include("portail.urls")),
]

if settings.BENCH_CEILING_VIEW:
    from config.bench import ceiling

    urlpatterns.insert(0, path("bench/plafond/", ceiling))

# The local PayFiP stand-in; its views also refuse to serve unless DEBUG or PAYFIP_SIMULATOR_ALLOWED.
if settings.PAYMENT_BACKEND == "simulator":
    urlpatterns.insert(0, path("simulateur-payfip/", include("core.payfip_simulator.urls")))

handler404 = "portail.views.errors.not_found"
handler500 = "portail.views.errors.server_error"

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("portail.urls")),
]

# The local PayFiP stand-in; its views also refuse to serve unless DEBUG or PAYFIP_SIMULATOR_ALLOWED.
if settings.PAYMENT_BACKEND == "simulator":
    urlpatterns.insert(0, path("simulateur-payfip/", include("core.payfip.urls")))

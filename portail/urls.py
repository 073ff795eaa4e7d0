from django.urls import path
from django.views.generic import RedirectView

from portail.views import payment_endpoints, payments

app_name = "portail"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
    # Payments: PayFiP's notification and the parent's return both carry our own payment id.
    path("paiements/<uuid:payment_uuid>/notification/", payment_endpoints.payment_notification, name="payment_notification"),
    path("paiements/<uuid:payment_uuid>/retour/", payments.payment_return, name="payment_return"),
]

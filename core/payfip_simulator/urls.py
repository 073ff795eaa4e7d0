"""The PayFiP simulator, mounted at /simulateur-payfip/ only when PAYMENT_BACKEND = "simulator"."""

from django.urls import path

from core.payfip_simulator import views

app_name = "payfip_simulator"

urlpatterns = [
    path("services/securite", views.soap, name="soap"),
    path("paiement", views.payment, name="payment"),
    path("paiement/carte", views.card, name="card"),
    path("paiement/resultat", views.conclude, name="conclude"),
    path("paiement/purge", views.purge, name="purge"),
]

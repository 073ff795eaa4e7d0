from django.urls import path

from portail.views import accounts, pages

app_name = "portail"

urlpatterns = [
    path("", pages.home, name="home"),
    path("espace-famille/", pages.reservations, name="reservations"),
    path("foyer/", pages.household, name="household"),
    path("foyer/mes-coordonnees/", pages.contact_edit, name="contact_edit"),
    # Account
    path("connexion/", accounts.LoginView.as_view(), name="login"),
    path("deconnexion/", accounts.LogoutView.as_view(), name="logout"),
    path("activer/<uidb64>/<token>/", accounts.activate, name="activate"),
    path("mot-de-passe-oublie/", accounts.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("compte/mot-de-passe/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("compte/email/", accounts.email_change, name="email_change"),
    path("compte/email/confirmer/<str:token>/", accounts.email_change_confirm, name="email_change_confirm"),
]

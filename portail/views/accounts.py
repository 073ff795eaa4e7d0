"""Account pages: activation, login and logout, forgotten password, change of password and email."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.services import accounts
from portail.forms import (
    ChoosePasswordForm,
    EmailChangeForm,
    LoginForm,
    PasswordResetRequestForm,
    ThrottledPasswordChangeForm,
)
from portail.views.base import guardian_required

MODEL_BACKEND = "core.auth.GuardianModelBackend"


def _decode_uid(uidb64):
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None


class LoginView(auth_views.LoginView):
    template_name = "portail/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("portail:home")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portail:login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "Vous êtes déconnecté.")
        return response


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def activate(request, uidb64, token):
    """« Choisir un mot de passe »: the page the activation email links to."""
    guardian_id = _decode_uid(uidb64)
    guardian = accounts.guardian_for_activation(guardian_id=guardian_id, token=token) if guardian_id else None
    if guardian is None:
        return render(request, "portail/accounts/activate.html", {"invalid_link": True}, status=400)
    form = ChoosePasswordForm(request.POST or None, guardian=guardian)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.guardian_activate(guardian=guardian, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, "Votre mot de passe est enregistré et votre adresse email validée. Bienvenue !")
            return redirect("portail:home")
    return render(request, "portail/accounts/activate.html", {"form": form, "guardian": guardian})


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """« Mot de passe oublié »: the same answer whether the address is known or not."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.password_reset_request(email=form.cleaned_data["email"])
        return redirect("portail:password_reset_done")
    return render(request, "portail/accounts/password_reset.html", {"form": form})


def password_reset_done(request):
    return render(request, "portail/accounts/password_reset_done.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portail/accounts/password_reset_confirm.html"
    post_reset_login = True
    post_reset_login_backend = MODEL_BACKEND
    success_url = reverse_lazy("portail:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        accounts.user_password_reset_done(user=form.user)
        messages.success(self.request, "Votre nouveau mot de passe est enregistré.")
        return response


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portail/accounts/password_change.html"
    success_url = reverse_lazy("portail:home")
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return response


@guardian_required()
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def email_change(request):
    guardian = request.guardian
    form = EmailChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.guardian_request_email_change(guardian=guardian, new_email=form.cleaned_data["new_email"])
        except ValidationError as error:
            form.add_error("new_email", error)
        else:
            messages.info(
                request,
                f"Un lien de confirmation a été envoyé à {form.cleaned_data['new_email'].lower()}. "
                "Votre adresse changera quand vous l'aurez suivi.",
            )
            return redirect("portail:household")
    return render(request, "portail/accounts/email_change.html", {"form": form, "guardian": guardian})


@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token):
    """The link sent to the new address: shows the change, applies it on POST (a mail scanner
    following the link changes nothing)."""
    change = accounts.email_change_from_token(token=token)
    if change is None:
        return render(request, "portail/accounts/email_change_confirm.html", {"invalid_link": True}, status=400)
    if request.method == "POST":
        try:
            accounts.guardian_confirm_email_change(token=token)
        except ValidationError as error:
            return render(
                request, "portail/accounts/email_change_confirm.html", {"change": change, "error": error.messages[0]}
            )
        messages.success(request, f"Votre adresse email est désormais {change.new_email}.")
        return redirect("portail:household" if request.user.is_authenticated else "portail:login")
    return render(request, "portail/accounts/email_change_confirm.html", {"change": change})

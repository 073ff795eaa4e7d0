"""Staff two-factor authentication in the admin: the setup page (QR code, manual key, a code to
confirm, then the recovery codes shown once), the verification step after the password, and the
middleware that holds every admin page behind them. The rules live in core.services.two_factor."""

from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from django_otp import login as otp_login
from unfold.widgets import UnfoldAdminTextInputWidget

from core.services import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code à 6 chiffres affiché par l'application",
        max_length=32,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class VerifyForm(CodeForm):
    code = forms.CharField(
        label="Code de l'application ou code de secours",
        max_length=32,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        help_text="Le code à 6 chiffres de votre application, ou l'un de vos codes de secours (8 caractères).",
    )


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _with_next(url_name, next_url):
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _staff_only(request):
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return redirect(_with_next("admin:login", request.get_full_path()))
    return None


def _context(request, **extra):
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


def _qr_svg(data):
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # built here from the device's URL only


def _grouped(key):
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class _CodeStepView(View):
    """A step of the second factor for staff: a form that asks for a code. Subclasses say where a
    staff member this step is not for goes (`elsewhere`), what an accepted code leads to
    (`code_accepted`, None when the code is refused) and how the page renders (`_render`)."""

    form_class = CodeForm
    wrong_code = ""

    def dispatch(self, request, *args, **kwargs):
        refused = _staff_only(request) or self.elsewhere(request)
        if refused:
            return refused
        return super().dispatch(request, *args, **kwargs)

    def elsewhere(self, request):
        return None

    def get(self, request):
        return self._render(request, self.form_class())

    def post(self, request):
        form = self.form_class(request.POST)
        if form.is_valid():
            accepted = self.code_accepted(request, form.cleaned_data["code"])
            if accepted is not None:
                return accepted
            form.add_error("code", self.wrong_code)
        return self._render(request, form)


class SetupView(_CodeStepView):
    """« Double authentification »: scan, confirm with a code, keep the recovery codes."""

    template_name = "admin_ext/two_factor/setup.html"
    wrong_code = "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code affiché."

    def elsewhere(self, request):
        # Whoever holds only the password must not replace the second factor already set up.
        if two_factor.two_factor_enrolled(request.user) and not request.user.is_verified():
            return redirect(_with_next("staff_2fa_verify", _next_url(request)))
        return None

    def code_accepted(self, request, code):
        confirmed = two_factor.totp_confirm(user=request.user, token=code)
        if confirmed is None:
            return None
        device, codes = confirmed
        otp_login(request, device)
        return render(
            request,
            "admin_ext/two_factor/recovery_codes.html",
            _context(request, title="Codes de secours", codes=codes),
        )

    def _render(self, request, form):
        device = two_factor.totp_pending_device(user=request.user)
        return render(
            request,
            self.template_name,
            _context(
                request,
                title="Double authentification",
                form=form,
                qr_svg=_qr_svg(device.config_url),
                manual_key=_grouped(b32encode(device.bin_key).decode()),
                required=two_factor.two_factor_required(request.user),
                enrolled=two_factor.two_factor_enrolled(request.user),
            ),
        )


class VerifyView(_CodeStepView):
    """The step after the password, for a staff member who set up a second factor."""

    template_name = "admin_ext/two_factor/verify.html"
    form_class = VerifyForm
    wrong_code = "Code incorrect ou déjà utilisé. Après plusieurs erreurs, patientez quelques secondes."

    def elsewhere(self, request):
        if request.user.is_verified():
            return redirect(_next_url(request))
        if not two_factor.two_factor_enrolled(request.user):
            return redirect(_with_next("staff_2fa_setup", _next_url(request)))
        return None

    def code_accepted(self, request, code):
        device = two_factor.two_factor_verify(user=request.user, token=code)
        if device is None:
            return None
        otp_login(request, device)
        return redirect(_next_url(request))

    def _render(self, request, form):
        return render(request, self.template_name, _context(request, title="Vérification en deux étapes", form=form))


class StaffTwoFactorMiddleware:
    """Every admin page waits for the second factor: a staff member who set one up confirms it
    after the password; a Régisseur, an Administrateur or a superuser who has none is sent to set
    it up first. Portal pages are not concerned. Sits below django_otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect_to = self._redirect_for(request)
        return redirect(redirect_to) if redirect_to else self.get_response(request)

    def _redirect_for(self, request):
        admin_root = reverse("admin:index")
        user = getattr(request, "user", None)
        if not request.path.startswith(admin_root) or user is None or not user.is_authenticated:
            return None
        if not user.is_staff or user.is_verified():
            return None
        exempt = {reverse("admin:login"), reverse("admin:logout"), reverse("admin:jsi18n")}
        if request.path in exempt or request.path.startswith(f"{admin_root}{URL_PREFIX}"):
            return None
        if two_factor.two_factor_enrolled(user):
            return _with_next("staff_2fa_verify", request.get_full_path())
        if two_factor.two_factor_required(user):
            return _with_next("staff_2fa_setup", request.get_full_path())
        return None


URL_PREFIX = "securite/"
urlpatterns = [
    path(f"{URL_PREFIX}double-authentification/", SetupView.as_view(), name="staff_2fa_setup"),
    path(f"{URL_PREFIX}verification/", VerifyView.as_view(), name="staff_2fa_verify"),
]

"""django-axes hooks: one lockout counter per address whatever its case, a French lockout page."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.shortcuts import render


def axes_username(request, credentials):
    data = credentials or getattr(request, "POST", {}) or {}
    return (data.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "portail/accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def password_recheck(request, user, password):
    """Whether `password` is the logged-in `user`'s. It goes through the login's backends, django-axes
    first: a failure counts with the failed logins of that address, and once they reach the limit
    the re-check is refused like the login (the lockout page, by AxesMiddleware), so that a stolen
    session cannot guess the password."""
    checked = authenticate(request, **{settings.AXES_USERNAME_FORM_FIELD: user.get_username(), "password": password})
    return checked is not None and checked.pk == user.pk

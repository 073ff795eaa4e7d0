"""django-axes hooks: one lockout counter per address whatever its case, a French lockout page."""

from django.conf import settings
from django.shortcuts import render


def axes_username(request, credentials):
    data = credentials or getattr(request, "POST", {}) or {}
    return (data.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "portail/accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)

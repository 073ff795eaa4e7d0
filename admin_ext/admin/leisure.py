from django.contrib import admin
from django.urls import path

from admin_ext.admin.base import BaseAdmin
from admin_ext.leisure_views import LeisurePlanningView
from core.models import RegistrationWindow


@admin.register(RegistrationWindow)
class RegistrationWindowAdmin(BaseAdmin):
    """Reference data of the accueil de loisirs: when each period's registration opens and closes.
    `day_status` reads the window from the reference data on every booking."""

    list_display = ["label", "start_date", "end_date", "opens_at", "closes_at", "priority_opens_at", "min_days_per_week"]
    filter_horizontal = ["activities"]
    fieldsets = [
        (None, {"fields": ["label", "start_date", "end_date", "weekdays", "activities"]}),
        ("Inscriptions (heure de Paris)", {"fields": ["opens_at", "closes_at", "priority_opens_at", "min_days_per_week"]}),
    ]

    def get_urls(self):
        planning = self.admin_site.admin_view(LeisurePlanningView.as_view(model_admin=self))
        return [path("planning/", planning, name="core_registrationwindow_planning"), *super().get_urls()]

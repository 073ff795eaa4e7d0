from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import FormView
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import UnfoldAdminRadioSelectWidget, UnfoldAdminSelectWidget, UnfoldAdminSingleDateWidget

from admin_ext.admin.base import BaseAdmin, HistoryAdmin, ServicePageAdmin
from admin_ext.paginators import LargeTablePaginator
from admin_ext.resources import BookingResource
from admin_ext.views import AttendanceView, HeadcountView
from core.models import Activity, Attendance, Booking, Child
from core.services.bookings import booking_override
from core.services.deadlines import Action


class OverrideForm(forms.Form):
    """Book or cancel a child's day whatever the deadlines (staff only)."""

    child = forms.ModelChoiceField(
        label="Enfant", queryset=Child.objects.select_related("household"), widget=UnfoldAdminSelectWidget
    )
    activity = forms.ModelChoiceField(label="Prestation", queryset=Activity.objects.all(), widget=UnfoldAdminSelectWidget)
    day = forms.DateField(label="Jour", widget=UnfoldAdminSingleDateWidget)
    action = forms.ChoiceField(
        label="Action",
        choices=[(Action.BOOK, "Réserver"), (Action.CANCEL, "Annuler")],
        initial=Action.BOOK,
        widget=UnfoldAdminRadioSelectWidget,
    )


class OverrideView(UnfoldModelAdminViewMixin, FormView):
    title = "Réserver ou annuler hors délai"
    permission_required = ("core.add_booking", "core.change_booking")
    template_name = "admin/core/booking/override.html"
    form_class = OverrideForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            booking = booking_override(
                child=data["child"], activity=data["activity"], day=data["day"], action=data["action"],
                staff_user=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        done = "réservé" if data["action"] == Action.BOOK else "annulé"
        messages.success(self.request, f"{booking} : {done} hors délai.")
        return redirect(reverse("admin:core_booking_changelist"))


@admin.register(Booking)
class BookingAdmin(ServicePageAdmin, HistoryAdmin, ExportMixin, BaseAdmin):
    """Bookings are read here; staff book and cancel through booking_override (its own page and
    the list action), which keeps a cancelled booking's date and stamps the override."""

    list_display = ["date", "child", "activity", "status", "source", "is_override", "booked_at", "booked_by"]
    list_filter = [("date", RangeDateFilter), "activity", "status", "source", "is_override", "child__school"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "booked_by"]
    autocomplete_fields = ["child"]
    # No date_hierarchy: its year links need a DISTINCT over every booking of the town (0.4 s at
    # 1.8 M rows) on each page; the "Jour" range filter narrows the list instead.
    show_full_result_count = False
    paginator = LargeTablePaginator
    # Latest day first, then the latest recorded: served by the (date, id) index, where sorting
    # by the child's name would read and sort a whole day's rows (~12,000) for each page.
    ordering = ["-date", "-pk"]
    actions = ["cancel_as_override"]
    actions_list = ["open_override"]
    resource_classes = [BookingResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm

    def get_urls(self):
        override = self.admin_site.admin_view(OverrideView.as_view(model_admin=self))
        headcounts = self.admin_site.admin_view(HeadcountView.as_view(model_admin=self))
        return [
            path("override/", override, name="core_booking_override"),
            path("effectifs/", headcounts, name="core_booking_headcounts"),
            *super().get_urls(),
        ]

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("child__household", "child__school", "activity")

    def has_override_permission(self, request, obj=None):
        return request.user.has_perms(OverrideView.permission_required)

    @action(description="Réserver / annuler hors délai", icon="event_upcoming", permissions=["override"])
    def open_override(self, request):
        return redirect(reverse("admin:core_booking_override"))

    @admin.action(description="Annuler hors délai les réservations sélectionnées", permissions=["override"])
    def cancel_as_override(self, request, queryset):
        cancelled = 0
        for booking in queryset.filter(status=Booking.Status.BOOKED).select_related("child", "activity"):
            booking_override(
                child=booking.child, activity=booking.activity, day=booking.date, action=Action.CANCEL, staff_user=request.user
            )
            cancelled += 1
        messages.success(request, f"{cancelled} réservation(s) annulée(s) hors délai.")


@admin.register(Attendance)
class AttendanceAdmin(ServicePageAdmin, BaseAdmin):
    """Attendance is read here; staff record it on the attendance sheet (attendance_record), which
    refuses a day whose invoice run was issued."""

    list_display = ["date", "child", "activity", "status", "recorded_by", "recorded_at"]
    list_filter = [("date", RangeDateFilter), "activity", "status", "child__school"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "recorded_by"]
    autocomplete_fields = ["child"]
    show_full_result_count = False  # no date_hierarchy either, as for bookings
    paginator = LargeTablePaginator
    ordering = ["-date", "-pk"]  # as for bookings
    def get_urls(self):
        view = self.admin_site.admin_view(AttendanceView.as_view(model_admin=self))
        return [path("feuille/", view, name="core_attendance_sheet"), *super().get_urls()]

from django.contrib import admin
from django.urls import path
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX
from import_export.admin import ExportMixin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import ExportForm

from admin_ext.admin.base import BaseAdmin, HistoryAdmin
from admin_ext.resources import BookingResource
from admin_ext.views import AttendanceView, HeadcountView
from core.models import Attendance, Booking


@admin.register(Booking)
class BookingAdmin(HistoryAdmin, ExportMixin, BaseAdmin):
    list_display = ["date", "child", "activity", "status", "source", "is_override", "booked_at", "booked_by"]
    list_filter = [("date", RangeDateFilter), "activity", "status", "source", "is_override", "child__school"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "booked_by"]
    autocomplete_fields = ["child"]
    date_hierarchy = "date"
    show_full_result_count = False
    readonly_fields = ["booked_at", "booked_by", "cancelled_at", "cancelled_by", "source", "is_override"]
    resource_classes = [BookingResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm

    def get_urls(self):
        view = self.admin_site.admin_view(HeadcountView.as_view(model_admin=self))
        return [path("effectifs/", view, name="core_booking_headcounts"), *super().get_urls()]

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("child__household", "child__school", "activity")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.booked_at = timezone.now()
            obj.booked_by = request.user
            obj.source = Booking.Source.STAFF
        super().save_model(request, obj, form, change)


@admin.register(Attendance)
class AttendanceAdmin(BaseAdmin):
    list_display = ["date", "child", "activity", "status", "recorded_by", "recorded_at"]
    list_filter = [("date", RangeDateFilter), "activity", "status", "child__school"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "recorded_by"]
    autocomplete_fields = ["child"]
    date_hierarchy = "date"
    show_full_result_count = False
    readonly_fields = ["recorded_by", "recorded_at"]

    def get_urls(self):
        view = self.admin_site.admin_view(AttendanceView.as_view(model_admin=self))
        return [path("feuille/", view, name="core_attendance_sheet"), *super().get_urls()]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

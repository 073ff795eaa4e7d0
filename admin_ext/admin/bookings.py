from django.contrib import admin
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateFilter

from admin_ext.admin.base import BaseAdmin
from core.models import Attendance, Booking


@admin.register(Booking)
class BookingAdmin(BaseAdmin):
    list_display = ["date", "child", "activity", "status", "source", "is_override", "booked_at", "booked_by"]
    list_filter = [("date", RangeDateFilter), "activity", "status", "source", "is_override", "child__school"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "booked_by"]
    autocomplete_fields = ["child"]
    date_hierarchy = "date"
    show_full_result_count = False
    readonly_fields = ["booked_at", "booked_by", "cancelled_at", "cancelled_by", "source", "is_override"]

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

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

from django.contrib import admin
from unfold.contrib.filters.admin import RangeDateFilter

from admin_ext.admin.base import BaseAdmin
from core.models import Closure, Regie, School, SchoolYear


@admin.register(Regie)
class RegieAdmin(BaseAdmin):
    list_display = ["name", "invoice_prefix", "payfip_numcli"]
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(BaseAdmin):
    list_display = ["name", "kind", "caterer_email"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(SchoolYear)
class SchoolYearAdmin(BaseAdmin):
    list_display = ["label", "start_date", "end_date"]


@admin.register(Closure)
class ClosureAdmin(BaseAdmin):
    list_display = ["name", "kind", "start_date", "end_date", "school", "activity"]
    list_filter = ["kind", ("start_date", RangeDateFilter), "school", "activity"]
    search_fields = ["name"]
    date_hierarchy = "start_date"

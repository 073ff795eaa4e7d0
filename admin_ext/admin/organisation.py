from django.contrib import admin
from unfold.contrib.filters.admin import RangeDateFilter

from unfold.admin import TabularInline

from admin_ext.admin.base import BaseAdmin
from core.models import Closure, Regie, ReminderStep, School, SchoolYear


class ReminderStepInline(TabularInline):
    model = ReminderStep
    extra = 0
    fields = ["offset_days", "with_letter", "is_active"]


@admin.register(Regie)
class RegieAdmin(BaseAdmin):
    list_display = ["name", "invoice_prefix", "payfip_numcli", "sepa_creditor_id"]
    search_fields = ["name"]
    inlines = [ReminderStepInline]
    fieldsets = [
        (None, {"fields": ["name", "address", "invoice_prefix", "payfip_numcli", "public_accountant"]}),
        ("Prélèvement SEPA", {"fields": [
            "sepa_creditor_id", ("sepa_creditor_iban", "sepa_creditor_bic"), ("sepa_notice_days", "sepa_debit_day"),
            ("sepa_parent_can_sign", "sepa_auto_confirm"), ("sepa_reject_fee", "sepa_max_rejects"),
        ]}),
    ]


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

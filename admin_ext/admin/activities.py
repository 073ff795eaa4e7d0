from django.contrib import admin
from unfold.admin import TabularInline

from admin_ext.admin.base import BaseAdmin
from core.models import Activity, DeadlineRule, Enrolment, QuotientBracket, Tariff


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(BaseAdmin):
    list_display = ["name", "kind", "description"]
    list_filter = ["kind"]


class TariffInline(TabularInline):
    model = Tariff
    extra = 0
    fields = ["bracket", "is_resident", "unit_price", "valid_from", "valid_to"]


@admin.register(Activity)
class ActivityAdmin(BaseAdmin):
    list_display = ["name", "kind", "regie", "weekdays_display", "grades_display", "booking_rule", "cancellation_rule", "is_active"]
    list_filter = ["kind", "regie", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    list_select_related = ["regie", "booking_rule", "cancellation_rule"]
    inlines = [TariffInline]

    @admin.display(description="Jours")
    def weekdays_display(self, obj):
        from core.models import WEEKDAYS

        labels = dict(WEEKDAYS)
        return ", ".join(labels[d][:3] + "." for d in obj.weekdays)

    @admin.display(description="Classes")
    def grades_display(self, obj):
        return ", ".join(obj.grades)


@admin.register(QuotientBracket)
class QuotientBracketAdmin(BaseAdmin):
    list_display = ["label", "min_value", "max_value"]


@admin.register(Tariff)
class TariffAdmin(BaseAdmin):
    list_display = ["activity", "bracket", "is_resident", "unit_price", "valid_from", "valid_to"]
    list_filter = ["activity", "bracket", "is_resident"]
    list_select_related = ["activity", "bracket"]


@admin.register(Enrolment)
class EnrolmentAdmin(BaseAdmin):
    list_display = ["child", "activity", "school_year", "status"]
    list_filter = ["status", "activity", "school_year"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference"]
    list_select_related = ["child", "activity", "school_year"]
    autocomplete_fields = ["child"]

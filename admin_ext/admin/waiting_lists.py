from django.contrib import admin, messages
from unfold.contrib.filters.admin import RangeDateFilter

from admin_ext.admin.base import BaseAdmin
from core.models import WaitingListEntry
from core.services.waiting_lists import waiting_lists_promote


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(BaseAdmin):
    """Staff read the lists and reorder them by the rank; parents join and leave from the portal,
    and places are given by core.services.waiting_lists only."""

    list_display = ["date", "activity", "position", "child", "household", "status", "joined_at", "ended_at"]
    list_display_links = ["child"]
    list_editable = ["position"]
    list_filter = [("date", RangeDateFilter), "activity", "status"]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference", "child__household__name"]
    list_select_related = ["child__household", "activity"]
    ordering = ["date", "activity__position", "activity__name", "position", "joined_at"]
    fields = ["child", "activity", "date", "position", "status", "joined_at", "joined_by", "ended_at", "booking"]
    readonly_fields = ["child", "activity", "date", "status", "joined_at", "joined_by", "ended_at", "booking"]
    actions = ["give_free_places"]

    @admin.display(description="foyer", ordering="child__household__reference")
    def household(self, entry):
        return entry.child.household

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Attribuer les places libres de ces jours (dans l'ordre des listes)", permissions=["change"])
    def give_free_places(self, request, queryset):
        places = set(queryset.values_list("activity_id", "date"))
        promoted = waiting_lists_promote(places=places)
        if promoted:
            self.message_user(request, f"{len(promoted)} place(s) attribuée(s) ; les familles ont reçu un email.", messages.SUCCESS)
        else:
            self.message_user(request, "Aucune place libre à attribuer sur ces jours.", messages.INFO)

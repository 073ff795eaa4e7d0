"""« Créer mon compte famille » requests: staff accept (household created, activation emails) or
refuse them through core.services.account_requests."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from unfold.decorators import action, display

from admin_ext.admin.base import BaseAdmin
from core.models import FamilyAccountRequest
from core.services.account_requests import AccountRequestError, account_request_accept, account_request_reject
from core.services.rgpd import retention_periods


@admin.register(FamilyAccountRequest)
class FamilyAccountRequestAdmin(BaseAdmin):
    list_display = ["family_name", "city", "first_email", "children_count", "status", "created_at", "household"]
    list_filter = ["status"]
    search_fields = ["family_name", "city"]
    actions = ["accept_selected", "reject_selected"]
    readonly_fields = ["status", "family_name", "address_line1", "address_line2", "postal_code", "city", "guardians_list",
                       "children_list", "message", "created_at", "decided_at", "decided_by", "household"]
    fields = readonly_fields + ["decision_note"]
    list_before_template = "admin_ext/retention_policy.html"

    def retention_policy(self):
        return (f"Conservation : une demande refusée, ou restée sans réponse, est supprimée "
                f"{retention_periods()['account_requests']} après son refus ou son envoi. Une demande acceptée "
                f"devient le foyer et disparaît avec son anonymisation.")

    def has_add_permission(self, request):
        return False

    @action(description="Accepter : créer le foyer et envoyer les emails d'activation", permissions=["change"])
    def accept_selected(self, request, queryset):
        for family_request in queryset:
            try:
                household = account_request_accept(family_request=family_request, reviewer=request.user)
            except AccountRequestError as error:
                messages.warning(request, f"{family_request.family_name} : {error}")
            else:
                messages.success(request, f"Foyer {household} créé ; emails d'activation envoyés.")

    @action(description="Refuser (aucun email n'est envoyé)", permissions=["change"])
    def reject_selected(self, request, queryset):
        for family_request in queryset:
            try:
                account_request_reject(family_request=family_request, reviewer=request.user)
            except AccountRequestError as error:
                messages.warning(request, f"{family_request.family_name} : {error}")
            else:
                messages.success(request, f"Demande {family_request.family_name} refusée.")

    @display(description="Email")
    def first_email(self, obj):
        return obj.guardians[0].get("email", "") if obj.guardians else ""

    @display(description="Enfants")
    def children_count(self, obj):
        return len(obj.children)

    @display(description="Responsables")
    def guardians_list(self, obj):
        return format_html_join("", "<div>{} {} — {} {}</div>", ((g.get("first_name", ""), g.get("last_name", ""),
                                g.get("email", ""), g.get("phone", "")) for g in obj.guardians))

    @display(description="Enfants")
    def children_list(self, obj):
        return format_html_join("", "<div>{} {} — né(e) le {} — {}</div>", ((c.get("first_name"), c.get("last_name"),
                                c.get("birth_date"), c.get("grade")) for c in obj.children))

from django.contrib import admin
from django.utils.html import format_html
from unfold.contrib.filters.admin import (
    AllValuesCheckboxFilter,
    AutocompleteSelectFilter,
    ChoicesCheckboxFilter,
    FieldTextFilter,
    RangeDateTimeFilter,
)
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin
from core.models import EmailLog


@admin.register(EmailLog)
class EmailLogAdmin(BaseAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "household", "status_badge", "attempts", "sent_at"]
    list_filter = [
        ("status", ChoicesCheckboxFilter),
        ("kind", AllValuesCheckboxFilter),
        ("created_at", RangeDateTimeFilter),
        ("recipient", FieldTextFilter),
        ("household", AutocompleteSelectFilter),
    ]
    search_fields = ["recipient", "subject", "household__reference", "household__name"]
    list_select_related = ["household"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [
        "kind", "recipient", "subject", "household", "status", "attempts", "error", "provider_message_id",
        "created_at", "sent_at", "attachments", "body_text", "html_preview",
    ]
    exclude = ["body_html"]
    fieldsets = (
        (None, {"fields": (("kind", "status"), ("recipient", "household"), "subject")}),
        (
            "Contenu",
            {
                "fields": ("html_preview", "body_text", "attachments"),
                "description": "Les liens personnels (activation, mot de passe oublié, changement d'email) ne sont "
                "jamais conservés : ils apparaissent masqués. Pour aider un parent, utilisez l'action « Envoyer un "
                "lien de réinitialisation » de Responsables.",
            },
        ),
        ("Envoi", {"fields": (("created_at", "sent_at"), ("attempts", "provider_message_id"), "error")}),
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(
        description="État",
        label={"Envoyé": "success", "Échec": "danger", "En attente d'envoi": "warning", "Envoi en cours": "info"},
    )
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Aperçu")
    def html_preview(self, obj):
        if not obj.body_html:
            return "—"
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;min-height:480px;border:1px solid #ddd;background:#fff"></iframe>',
            obj.body_html,
        )

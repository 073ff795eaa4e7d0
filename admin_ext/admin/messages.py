from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from unfold.decorators import action
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from admin_ext.admin.dialogs import confirm_dialog
from core.models import Conversation, Message
from core.services import messages as family_messages


class InboxFilter(admin.SimpleListFilter):
    """The staff inbox: to handle and unassigned, mine, awaiting the family, closed."""

    title = "boîte"
    parameter_name = "boite"

    def lookups(self, request, model_admin):
        return [("non_attribues", "Non attribués"), ("mes_messages", "Mes messages"),
                ("attente_famille", "En attente de la famille"), ("clos", "Clôturés")]

    def queryset(self, request, queryset):
        Status = Conversation.Status
        match self.value():
            case "non_attribues":
                return queryset.filter(assigned_to__isnull=True).exclude(status=Status.CLOSED)
            case "mes_messages":
                return queryset.filter(assigned_to=request.user).exclude(status=Status.CLOSED)
            case "attente_famille":
                return queryset.filter(status=Status.AWAITING_FAMILY)
            case "clos":
                return queryset.filter(status=Status.CLOSED)
        return queryset


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ["created_at", "from_staff", "guardian", "staff", "body"]


class ReplyForm(BaseDialogForm):
    body = forms.CharField(label="Réponse", max_length=family_messages.MAX_BODY, widget=forms.Textarea(attrs={"rows": 6}))


@admin.register(Conversation)
class ConversationAdmin(BaseAdmin):
    """Read a family's thread, answer it, take it, close it; a conversation is never edited."""

    list_display = ["title", "household", "subject", "status", "assigned_to", "last_message_at"]
    list_filter = [InboxFilter, "status", "subject"]
    list_select_related = ["household", "assigned_to"]
    search_fields = ["title", "household__name", "household__reference"]
    inlines = [MessageInline]
    actions_detail = ["reply", "assign_to_me", "close"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Conversation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _done(self, request, object_id, text):
        messages.success(request, text)
        return redirect(reverse("admin:core_conversation_change", args=[object_id]))

    def has_reply_permission(self, request, object_id=None):
        return request.user.has_perm("core.change_conversation")

    @action(description="Répondre", url_path="repondre", permissions=["reply"], icon="reply", variant=ActionVariant.PRIMARY,
            dialog=confirm_dialog("Répondre à la famille", "Envoyer", "La famille reçoit un email qui l'invite à lire la "
                                  "réponse dans son Espace Famille (sans le contenu du message).", ReplyForm))
    def reply(self, request, form, object_id):
        family_messages.message_from_staff(user=request.user, conversation_id=int(object_id), body=form.cleaned_data["body"])
        return self._done(request, object_id, "Réponse envoyée ; la famille est prévenue par email.")

    @action(description="M'attribuer", url_path="attribuer", permissions=["reply"], icon="person_add",
            dialog=confirm_dialog("M'attribuer cette conversation", "M'attribuer"))
    def assign_to_me(self, request, form, object_id):
        family_messages.conversation_assign(conversation_id=int(object_id), user=request.user)
        return self._done(request, object_id, "Conversation attribuée.")

    @action(description="Clôturer", url_path="cloturer", permissions=["reply"], icon="done_all",
            dialog=confirm_dialog("Clôturer la conversation", "Clôturer"))
    def close(self, request, form, object_id):
        family_messages.conversation_close(conversation_id=int(object_id))
        return self._done(request, object_id, "Conversation clôturée.")

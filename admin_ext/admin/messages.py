"""The staff inbox of the families' messages: read a thread and its files, answer (with files),
take, close. Every rule is in core.services.messages; files go out through the documents' response."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextareaWidget

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from admin_ext.admin.dialogs import confirm_dialog
from core.forms import MessageFilesField
from core.models import Conversation, Message, MessageAttachment
from core.services import messages as family_messages
from core.services.documents import document_file_response


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


def attachment_links(message):
    """Each file of a message: opened in the browser (PDF, images) or downloaded."""
    if not message.pk:
        return "—"
    rows = [
        (reverse("admin:core_conversation_attachment", args=[message.conversation_id, a.pk]), a.original_name,
         reverse("admin:core_conversation_attachment", args=[message.conversation_id, a.pk]) + "?telecharger")
        for a in message.attachments.all()
    ]
    if not rows:
        return "—"
    return format_html_join(
        "", '<span class="block"><a href="{}" target="_blank" rel="noopener" class="underline">{}</a> '
        '(<a href="{}" class="underline">télécharger</a>)</span>', rows)


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ["created_at", "from_staff", "guardian", "staff", "body", "files"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("guardian", "staff").prefetch_related("attachments")

    @display(description="Pièces jointes")
    def files(self, obj):
        return attachment_links(obj)


class ReplyForm(forms.Form):
    body = forms.CharField(label="Réponse", max_length=family_messages.MAX_BODY, widget=UnfoldAdminTextareaWidget(attrs={"rows": 8}))
    files = MessageFilesField()


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
        url = reverse("admin:core_conversation_change", args=[object_id])
        if request.headers.get("HX-Request"):
            # A dialog posts through htmx, which would follow a plain redirect inside the dialog
            # and leave it open: ask htmx to load the page instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)

    def has_reply_permission(self, request, object_id=None):
        return request.user.has_perm("core.change_conversation")

    def get_urls(self):
        view = self.admin_site.admin_view(self.attachment_view)
        return [path("<path:object_id>/pieces-jointes/<int:attachment_id>/", view, name="core_conversation_attachment"),
                *super().get_urls()]

    def attachment_view(self, request, object_id, attachment_id):
        """A file of the thread, for staff who may read the conversation; PDF and images open in the browser."""
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None:
            raise Http404("Conversation introuvable")
        if not self.has_view_permission(request, conversation):
            raise PermissionDenied
        attachment = get_object_or_404(MessageAttachment, pk=attachment_id, message__conversation=conversation)
        return document_file_response(attachment, download="telecharger" in request.GET)

    # A page of its own, not a dialog: a dialog posts no files, and a refused file must leave the
    # answer typed in the form.
    @action(description="Répondre", url_path="repondre", permissions=["reply"], icon="reply", variant=ActionVariant.PRIMARY)
    def reply(self, request, object_id):
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None:
            raise Http404("Conversation introuvable")
        form = ReplyForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            family_messages.message_from_staff(user=request.user, conversation_id=conversation.pk, **form.cleaned_data)
            return self._done(request, object_id, "Réponse envoyée ; la famille est prévenue par email.")
        thread = conversation.messages.select_related("guardian", "staff").prefetch_related("attachments")
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "title": f"Répondre : {conversation.title}",
            "conversation": conversation, "thread": [(m, attachment_links(m)) for m in thread], "form": form,
            "change_url": reverse("admin:core_conversation_change", args=[conversation.pk]),
        }
        return TemplateResponse(request, "admin/core/conversation/reply.html", context)

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

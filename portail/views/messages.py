"""Messages: the household's conversations with the town hall, a new one, a thread and its reply.
Every query starts from the logged-in guardian's household: another's thread is a 404."""

from django.contrib import messages as flash
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.services.documents import document_file_response
from core.services.messages import attachments_of, conversation_start, conversations_of, message_from_family
from portail.forms import ConversationForm, ReplyForm
from portail.views.base import guardian_required


@guardian_required("messages")
def message_list(request):
    conversations = conversations_of(request.household).select_related("started_by")
    return render(request, "portail/messages/list.html", {"conversations": conversations})


@guardian_required("messages")
@require_http_methods(["GET", "POST"])
def message_new(request):
    form = ConversationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        conversation = conversation_start(guardian=request.guardian, **form.cleaned_data)
        flash.success(request, "Votre message est envoyé à la mairie. Vous serez prévenu(e) par email de sa réponse.")
        return redirect("portail:message_thread", conversation.pk)
    return render(request, "portail/messages/new.html", {"form": form})


@guardian_required("messages")
@require_http_methods(["GET", "POST"])
def message_thread(request, conversation_id):
    conversation = get_object_or_404(conversations_of(request.household), pk=conversation_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        message_from_family(guardian=request.guardian, conversation_id=conversation.pk, **form.cleaned_data)
        flash.success(request, "Votre réponse est envoyée à la mairie.")
        return redirect("portail:message_thread", conversation.pk)
    thread = conversation.messages.select_related("guardian").prefetch_related("attachments")
    return render(request, "portail/messages/thread.html", {"conversation": conversation, "thread": thread, "form": form})


@require_GET
@guardian_required("messages")
def message_attachment(request, attachment_id):
    """A file of one of the household's messages (another household's is a 404), opened in the
    browser, or downloaded with ?telecharger."""
    attachment = get_object_or_404(attachments_of(request.household), pk=attachment_id)
    return document_file_response(attachment, download="telecharger" in request.GET)

"""Messages between a family and the town hall: who may read and write which conversation, the
states of the inbox, the files joined to a message (the rules of the family documents), and the
emails that only say a message is waiting (never its content nor its files)."""

import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.emails import queue_email
from core.models import Conversation, Guardian, Household, Message, MessageAttachment
from core.services.documents import (
    DocumentError,
    display_name,
    document_check_file,
    private_file_save,
    private_files_delete_after_commit,
)

Status = Conversation.Status
MAX_BODY = 5000
MAX_ATTACHMENTS = 5


def message_files_check(files) -> list[str]:
    """A message carries at most MAX_ATTACHMENTS files, each accepted by the documents' rule
    (`document_check_file`: not empty, size limit, PDF/JPEG/PNG read from the content); returns
    their detected types, or raises DocumentError naming the refused file."""
    files = [f for f in (files or []) if f]
    if len(files) > MAX_ATTACHMENTS:
        raise DocumentError(f"Joignez {MAX_ATTACHMENTS} fichiers au plus à un message.")
    types = []
    for uploaded_file in files:
        try:
            types.append(document_check_file(uploaded_file))
        except DocumentError as error:
            raise DocumentError(f"« {display_name(uploaded_file)} » : {error}") from error
    return types


def _attach(message, files, types):
    stored = []
    try:
        for uploaded_file, content_type in zip([f for f in files if f], types, strict=True):
            name = private_file_save(uploaded_file=uploaded_file, content_type=content_type,
                                     folder=f"messages/{message.conversation.household_id}")
            stored.append(name)
            MessageAttachment.objects.create(message=message, file=name, original_name=display_name(uploaded_file),
                                             content_type=content_type, size=uploaded_file.size)
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise


def attachments_of(household):
    """The files a guardian may open: those of their household's conversations, and no other."""
    return MessageAttachment.objects.filter(message__conversation__household=household)


@transaction.atomic
def conversations_delete(*, household: Household) -> int:
    """Erase a household's conversations, their messages and their files (RGPD anonymisation);
    the files go once the deletion is committed. Returns the count of conversations."""
    names = list(attachments_of(household).values_list("file", flat=True))
    _, deleted = Conversation.objects.filter(household=household).delete()
    private_files_delete_after_commit(names)
    return deleted.get(Conversation._meta.label, 0)


def conversations_of(household):
    """Every conversation a guardian may read: their household's, and no other."""
    return Conversation.objects.filter(household=household)


def _notify_family(conversation):
    emails = Guardian.objects.filter(household=conversation.household, email__isnull=False).exclude(email="")
    queue_email(kind="message_waiting_family", recipients=list(emails.values_list("email", flat=True)),
                context={"conversation_id": conversation.pk}, household=conversation.household)


def _notify_staff(conversation):
    recipient = conversation.assigned_to.email if conversation.assigned_to_id else settings.TOWN_CONTACT_EMAIL
    if recipient:
        queue_email(kind="message_waiting_staff", recipients=[recipient],
                    context={"conversation_id": conversation.pk, "subject": conversation.get_subject_display()})


@transaction.atomic
def conversation_start(*, guardian: Guardian, subject: str, title: str, body: str, files=(),
                       now: datetime.datetime | None = None) -> Conversation:
    """A guardian writes to the town hall, files joined or not: a new conversation of their
    household, to be handled; a refused file refuses the whole message (DocumentError)."""
    now = now or timezone.now()
    types = message_files_check(files)
    conversation = Conversation.objects.create(
        household=guardian.household, subject=subject, title=title.strip(), started_by=guardian,
        created_at=now, last_message_at=now,
    )
    message = Message.objects.create(conversation=conversation, body=body.strip(), guardian=guardian, created_at=now)
    _attach(message, files, types)
    _notify_staff(conversation)
    return conversation


@transaction.atomic
def message_from_family(*, guardian: Guardian, conversation_id: int, body: str, files=(),
                        now: datetime.datetime | None = None) -> Message:
    """A guardian answers in one of their household's conversations (another's does not exist
    for them: Conversation.DoesNotExist), files joined or not; a closed one reopens."""
    now = now or timezone.now()
    types = message_files_check(files)
    conversation = conversations_of(guardian.household).select_for_update().get(pk=conversation_id)
    message = Message.objects.create(conversation=conversation, body=body.strip(), guardian=guardian, created_at=now)
    _attach(message, files, types)
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.AWAITING_STAFF, last_message_at=now)
    conversation.refresh_from_db()
    _notify_staff(conversation)
    return message


@transaction.atomic
def message_from_staff(*, user, conversation_id: int, body: str, files=(),
                       now: datetime.datetime | None = None) -> Message:
    """Staff answer, files joined or not: the family is told by email that a message waits; the
    conversation, taken by this agent if nobody had it, now awaits the family."""
    now = now or timezone.now()
    types = message_files_check(files)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    message = Message.objects.create(conversation=conversation, body=body.strip(), staff=user, from_staff=True, created_at=now)
    _attach(message, files, types)
    conversation.status, conversation.last_message_at = Status.AWAITING_FAMILY, now
    conversation.assigned_to = conversation.assigned_to or user
    conversation.save(update_fields=["status", "last_message_at", "assigned_to"])
    _notify_family(conversation)
    return message


def conversation_assign(*, conversation_id: int, user) -> Conversation:
    Conversation.objects.filter(pk=conversation_id).update(assigned_to=user)
    return Conversation.objects.get(pk=conversation_id)


def conversation_close(*, conversation_id: int) -> Conversation:
    """Closed by staff; the family may still write, which reopens it."""
    Conversation.objects.filter(pk=conversation_id).update(status=Status.CLOSED)
    return Conversation.objects.get(pk=conversation_id)

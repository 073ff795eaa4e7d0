"""Messages between a family and the town hall: who may read and write which conversation, the
states of the inbox, and the emails that only say a message is waiting (never its content)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.emails import queue_email
from core.models import Conversation, Guardian, Message

Status = Conversation.Status
MAX_BODY = 5000


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
def conversation_start(*, guardian: Guardian, subject: str, title: str, body: str,
                       now: datetime.datetime | None = None) -> Conversation:
    """A guardian writes to the town hall: a new conversation of their household, to be handled."""
    now = now or timezone.now()
    conversation = Conversation.objects.create(
        household=guardian.household, subject=subject, title=title.strip(), started_by=guardian,
        created_at=now, last_message_at=now,
    )
    Message.objects.create(conversation=conversation, body=body.strip(), guardian=guardian, created_at=now)
    _notify_staff(conversation)
    return conversation


@transaction.atomic
def message_from_family(*, guardian: Guardian, conversation_id: int, body: str,
                        now: datetime.datetime | None = None) -> Message:
    """A guardian answers in one of their household's conversations (another's does not exist
    for them: Conversation.DoesNotExist); a closed one reopens."""
    now = now or timezone.now()
    conversation = conversations_of(guardian.household).select_for_update().get(pk=conversation_id)
    message = Message.objects.create(conversation=conversation, body=body.strip(), guardian=guardian, created_at=now)
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.AWAITING_STAFF, last_message_at=now)
    conversation.refresh_from_db()
    _notify_staff(conversation)
    return message


@transaction.atomic
def message_from_staff(*, user, conversation_id: int, body: str, now: datetime.datetime | None = None) -> Message:
    """Staff answer: the family is told by email that a message waits; the conversation, taken
    by this agent if nobody had it, now awaits the family."""
    now = now or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    message = Message.objects.create(conversation=conversation, body=body.strip(), staff=user, from_staff=True, created_at=now)
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

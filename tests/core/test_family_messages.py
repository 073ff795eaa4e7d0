"""Messages between a family and the town hall: scoped to one household, states of the inbox,
emails that say a message waits without its content; the portal pages and the admin inbox."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import Conversation, Message
from core.services import messages as family_messages

SECRET = "Léa a une allergie aux noix"


@pytest.fixture
def thread(family, settings, django_capture_on_commit_callbacks):
    settings.TOWN_CONTACT_EMAIL = "enfance@mairie.test"
    with django_capture_on_commit_callbacks(execute=True):
        return family_messages.conversation_start(guardian=family.parent, subject="reservations",
                                                  title="Absence lundi", body=SECRET)


def test_a_family_message_reaches_the_service_without_its_content(thread):
    assert thread.status == Conversation.Status.AWAITING_STAFF and thread.household.reference == "TEST"
    (email,) = mail.outbox
    assert email.to == ["enfance@mairie.test"] and SECRET not in email.body and SECRET not in email.subject


def test_a_staff_answer_tells_the_family_and_waits_for_it(thread, family, gestionnaire, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        family_messages.message_from_staff(user=gestionnaire, conversation_id=thread.pk, body="Bien noté, " + SECRET)
    thread.refresh_from_db()
    assert thread.status == Conversation.Status.AWAITING_FAMILY and thread.assigned_to == gestionnaire
    email = mail.outbox[-1]
    assert email.to == ["parent@example.org"] and SECRET not in email.body and f"/messages/{thread.pk}/" in email.body


def test_a_family_answer_reopens_a_closed_conversation(thread, family):
    family_messages.conversation_close(conversation_id=thread.pk)
    family_messages.message_from_family(guardian=family.parent, conversation_id=thread.pk, body="Merci")
    thread.refresh_from_db()
    assert thread.status == Conversation.Status.AWAITING_STAFF and thread.messages.count() == 2


def test_another_household_cannot_answer_in_the_thread(thread, other_family):
    with pytest.raises(Conversation.DoesNotExist):
        family_messages.message_from_family(guardian=other_family.parent, conversation_id=thread.pk, body="Intrus")
    assert Message.objects.count() == 1


def test_a_parent_writes_and_reads_the_thread_on_the_portal(client, family, settings, django_capture_on_commit_callbacks):
    client.force_login(family.user)
    response = client.post(reverse("portail:message_new"), {"subject": "", "title": "", "body": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portail:message_new"), {"subject": "factures", "title": "Facture de novembre", "body": SECRET})
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response.url == reverse("portail:message_thread", args=[conversation.pk])
    page = client.get(response.url).text
    assert SECRET in page and page.count("<h1") == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"body": "Et aussi décembre"})
    assert conversation.messages.count() == 2
    listing = client.get(reverse("portail:messages")).text
    assert "Facture de novembre" in listing and 'aria-current="page">Messages' in listing


def test_another_household_thread_is_a_404(client, thread, other_family):
    client.force_login(other_family.user)
    url = reverse("portail:message_thread", args=[thread.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Intrus"}).status_code == 404
    assert "Absence lundi" not in client.get(reverse("portail:messages")).text


def test_the_staff_inbox_answers_assigns_and_closes(thread, gestionnaire, django_capture_on_commit_callbacks):
    staff = Client()
    staff.force_login(gestionnaire)
    changelist = reverse("admin:core_conversation_changelist")
    assert "Absence lundi" in staff.get(changelist + "?boite=non_attribues").content.decode()
    assert "Absence lundi" not in staff.get(changelist + "?boite=mes_messages").content.decode()
    page = staff.get(reverse("admin:core_conversation_change", args=[thread.pk])).content.decode()
    assert SECRET in page
    assert staff.post(reverse("admin:core_conversation_assign_to_me", args=[thread.pk]), {"_form_submitted": "on"}).status_code == 302
    assert "Absence lundi" in staff.get(changelist + "?boite=mes_messages").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:core_conversation_reply", args=[thread.pk]), {"_form_submitted": "on", "body": "Réponse"})
    assert response.status_code == 302 and thread.messages.filter(from_staff=True).count() == 1
    assert "Absence lundi" in staff.get(changelist + "?boite=attente_famille").content.decode()
    staff.post(reverse("admin:core_conversation_close", args=[thread.pk]), {"_form_submitted": "on"})
    thread.refresh_from_db()
    assert thread.status == Conversation.Status.CLOSED

"""Files joined to a family's messages: the documents' rules (type read from the content, size,
count, random private name), served only to the household or to staff allowed to read the
conversation, never in an email, exported and erased with the household's data."""

import datetime
import os

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.constants import PARIS
from core.models import Conversation, Message, MessageAttachment
from core.services import messages as family_messages
from core.services.documents import DocumentError
from core.services.rgpd import household_anonymise, household_export
from tests import factories

NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode"
SECRET = "Léa a une allergie aux noix"

pytestmark = pytest.mark.usefixtures("media_root")


def pdf(name="certificat.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def thread(family, settings, django_capture_on_commit_callbacks):
    settings.TOWN_CONTACT_EMAIL = "enfance@mairie.test"
    with django_capture_on_commit_callbacks(execute=True):
        return family_messages.conversation_start(
            guardian=family.parent, subject="reservations", title="Absence lundi", body=SECRET,
            files=[pdf("..\\..\\C:/Users/léa/certificat médical.pdf")], now=NOW)


def test_a_file_joined_by_a_family_is_stored_privately_under_a_random_name(thread, family):
    (attachment,) = MessageAttachment.objects.all()
    assert attachment.message.conversation == thread and attachment.content_type == "application/pdf"
    assert attachment.original_name == "certificat médical.pdf" and attachment.size == len(PDF)
    folder, stored = os.path.split(attachment.file.name)
    assert folder == f"messages/{family.household.pk}" and "certificat" not in stored and stored.endswith(".pdf")
    assert default_storage.open(attachment.file.name).read() == PDF


def test_the_email_to_staff_carries_neither_the_message_nor_its_file(thread):
    (email,) = mail.outbox
    assert SECRET not in email.body and not email.attachments and "certificat" not in email.body


@pytest.mark.parametrize(("files", "error"), [
    ([pdf("photo.pdf", EXE)], "« photo.pdf » : Ce fichier n'est pas accepté : envoyez un document PDF, JPEG ou PNG."),
    ([pdf("vide.pdf", b"")], "« vide.pdf » : Le fichier est vide."),
    ([pdf(f"page{i}.pdf") for i in range(family_messages.MAX_ATTACHMENTS + 1)], "Joignez 5 fichiers au plus à un message."),
])
def test_a_refused_file_refuses_the_whole_message_and_stores_nothing(family, media_root, files, error):
    with pytest.raises(DocumentError) as refused:
        family_messages.conversation_start(guardian=family.parent, subject="autre", title="Photo", body="Voici",
                                           files=[pdf("bon.pdf"), *files])
    assert str(refused.value) == error
    assert not Conversation.objects.exists() and not MessageAttachment.objects.exists()
    assert not (media_root / "messages").exists()


def test_a_too_large_file_is_refused(family, settings):
    big = pdf("scan.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(DocumentError, match="« scan.pdf » : Le fichier dépasse la taille maximale de 10 Mo."):
        family_messages.message_files_check([big])


def test_staff_answer_with_a_file_and_the_family_email_says_only_that_a_message_waits(
        thread, family, gestionnaire, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = family_messages.message_from_staff(
            user=gestionnaire, conversation_id=thread.pk, body="Voici le menu, " + SECRET,
            files=[SimpleUploadedFile("menu.png", PNG, content_type="image/png")])
    assert [a.original_name for a in message.attachments.all()] == ["menu.png"]
    email = mail.outbox[-1]
    assert email.to == ["parent@example.org"] and not email.attachments
    assert SECRET not in email.body and "menu" not in email.body
    assert all(SECRET not in str(alternative[0]) for alternative in getattr(email, "alternatives", []))


def test_a_parent_joins_files_and_reads_them_from_the_thread(client, family, django_capture_on_commit_callbacks):
    client.force_login(family.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portail:message_new"), {
            "subject": "factures", "title": "Facture", "body": SECRET,
            "files": [pdf("facture.pdf"), SimpleUploadedFile("reçu.png", PNG, content_type="image/png")]})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    page = client.get(response.url).text
    attachments = list(MessageAttachment.objects.order_by("pk"))
    assert [a.original_name for a in attachments] == ["facture.pdf", "reçu.png"]
    url = reverse("portail:message_attachment", args=[attachments[0].pk])
    assert f'href="{url}"' in page and f'href="{url}?telecharger"' in page
    shown = client.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline") and shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == PDF
    downloaded = client.get(url + "?telecharger")
    assert downloaded["Content-Disposition"].startswith("attachment") and "facture.pdf" in downloaded["Content-Disposition"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portail:message_thread", args=[conversation.pk]), {"body": "Et le reçu", "files": [pdf("recu2.pdf")]})
    assert conversation.messages.last().attachments.get().original_name == "recu2.pdf"


def test_a_refused_file_keeps_what_the_parent_typed(client, family):
    client.force_login(family.user)
    response = client.post(reverse("portail:message_new"), {
        "subject": "factures", "title": "Facture de novembre", "body": SECRET, "files": [pdf("virus.pdf", EXE)]})
    assert response.status_code == 200 and not Conversation.objects.exists()
    page = response.text
    assert "« virus.pdf » : Ce fichier n&#x27;est pas accepté" in page and "Votre message n&#x27;est pas perdu" in page
    assert SECRET in page and 'value="Facture de novembre"' in page and 'aria-invalid="true"' in page
    assert 'enctype="multipart/form-data"' in page and 'accept=".pdf,' in page


def test_another_household_file_is_a_404(client, thread, other_family):
    attachment = MessageAttachment.objects.get()
    client.force_login(other_family.user)
    url = reverse("portail:message_attachment", args=[attachment.pk])
    assert client.get(url).status_code == 404 and client.get(url + "?telecharger").status_code == 404


def test_staff_answer_with_a_file_from_the_inbox_and_open_the_family_files(
        thread, gestionnaire, django_capture_on_commit_callbacks):
    staff = Client()
    staff.force_login(gestionnaire)
    page = staff.get(reverse("admin:core_conversation_change", args=[thread.pk])).content.decode()
    family_file = MessageAttachment.objects.get()
    file_url = reverse("admin:core_conversation_attachment", args=[thread.pk, family_file.pk])
    assert file_url in page and "certificat médical.pdf" in page
    shown = staff.get(file_url)
    assert shown.status_code == 200 and shown["Content-Disposition"].startswith("inline")
    reply_url = reverse("admin:core_conversation_reply", args=[thread.pk])
    form = staff.get(reply_url).content.decode()
    assert SECRET in form and 'enctype="multipart/form-data"' in form and file_url in form
    refused = staff.post(reply_url, {"body": "Voici la facture corrigée", "files": [pdf("facture.pdf", EXE)]})
    assert refused.status_code == 200 and "Voici la facture corrigée" in refused.content.decode()
    assert "« facture.pdf » : Ce fichier n&#x27;est pas accepté" in refused.content.decode()
    assert not thread.messages.filter(from_staff=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reply_url, {"body": "Voici la facture corrigée", "files": [pdf("facture.pdf")]})
    assert response.status_code == 302
    answer = thread.messages.get(from_staff=True)
    assert answer.attachments.get().original_name == "facture.pdf" and answer.staff == gestionnaire
    assert not mail.outbox[-1].attachments and "corrigée" not in mail.outbox[-1].body


def test_an_inbox_file_needs_the_staff_permission_and_its_own_conversation(thread, family, db):
    other = family_messages.conversation_start(guardian=family.parent, subject="autre", title="Autre", body="Autre")
    attachment = MessageAttachment.objects.get()
    staff = Client()
    staff.force_login(gestionnaire_like := factories.StaffFactory(email="sans-droit@mairie.test", is_superuser=False))
    url = reverse("admin:core_conversation_attachment", args=[thread.pk, attachment.pk])
    assert staff.get(url).status_code == 403
    gestionnaire_like.user_permissions.add(Permission.objects.get(codename="view_conversation"))
    staff = Client()
    staff.force_login(gestionnaire_like)
    assert staff.get(url).status_code == 200
    assert staff.get(reverse("admin:core_conversation_attachment", args=[other.pk, attachment.pk])).status_code == 404


def test_the_export_lists_the_messages_and_their_files_and_anonymisation_erases_them(
        thread, family, django_capture_on_commit_callbacks):
    exported = household_export(household=family.household)["messages"]
    assert exported[0]["objet"] == "Absence lundi" and exported[0]["messages"][0]["texte"] == SECRET
    assert exported[0]["messages"][0]["pieces_jointes"] == [
        {"fichier": "certificat médical.pdf", "format": "application/pdf", "taille": len(PDF)}]
    stored = MessageAttachment.objects.get().file.name
    family.household.left_on = datetime.date(2020, 1, 1)
    family.household.save()
    with django_capture_on_commit_callbacks(execute=True):
        household_anonymise(household=family.household)
    assert not default_storage.exists(stored)
    assert not Conversation.objects.filter(household=family.household).exists() and not Message.objects.exists()

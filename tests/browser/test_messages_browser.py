"""A full exchange with files: a parent writes from a phone with a certificate, staff find it
unassigned in the inbox, take it, answer with a file, the parent reads and downloads it, staff
close. axe clean on the portal pages; the form's controls are reached with the keyboard."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.models import Conversation
from core.services.roles import roles_sync
from tests import factories
from tests.browser.conftest import admin_login, assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import horizontal_scroll
from tests.browser.test_portal_pages import log_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode"
BODY = "Bonjour, Junior était malade lundi : voici le certificat médical."


def active_id(page):
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


@pytest.fixture
def agent(db):
    user = factories.RoleStaffFactory(email="agent-messages@mairie.test", role="Gestionnaire")
    roles_sync()
    return user


def test_a_parent_and_staff_exchange_messages_with_files(phone_page, page, family, agent, media_root, transactional_db):
    parent = phone_page
    log_in(parent)
    parent.goto(reverse("portail:messages"))
    parent.get_by_role("link", name="Écrire à la mairie").click()
    expect(parent.get_by_role("heading", name="Écrire à la mairie", level=1)).to_be_visible()
    parent.get_by_label("Sujet").select_option(label="Réservations")
    parent.get_by_label("Objet").fill("Absence de Junior lundi")
    parent.get_by_label("Votre message").fill(BODY)
    # Keyboard: from the message, Tab reaches the file picker, then the send button.
    parent.get_by_label("Votre message").focus()
    parent.keyboard.press("Tab")
    assert active_id(parent) == "id_files"
    parent.keyboard.press("Tab")
    assert active_id(parent) == "Envoyer"
    files = parent.get_by_label("Pièces jointes (facultatif)")
    files.set_input_files(files=[{"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": EXE}])
    parent.get_by_role("button", name="Envoyer", exact=True).click()
    expect(parent.get_by_text("« certificat.pdf » : Ce fichier n'est pas accepté")).to_be_visible()
    expect(parent.get_by_label("Votre message")).to_have_value(BODY)
    expect(parent.get_by_label("Objet")).to_have_value("Absence de Junior lundi")
    assert not Conversation.objects.exists()
    assert horizontal_scroll(parent, "message refused file") is None
    screenshot(parent, "message-new-refused-file-phone")
    assert_no_serious_axe_violations(parent)
    parent.get_by_label("Pièces jointes (facultatif)").set_input_files(
        files=[{"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    parent.get_by_role("button", name="Envoyer", exact=True).click()
    expect(parent.get_by_text("Votre message est envoyé à la mairie.")).to_be_visible()
    expect(parent.get_by_role("link", name="certificat.pdf", exact=True)).to_be_visible()
    assert horizontal_scroll(parent, "message thread") is None
    screenshot(parent, "message-thread-sent-phone")
    assert_no_serious_axe_violations(parent)
    conversation = Conversation.objects.get()

    staff = page
    admin_login(staff, agent.email, next_url="/admin/core/conversation/?boite=non_attribues")
    staff.get_by_role("link", name="Absence de Junior lundi").click()
    expect(staff.get_by_role("link", name="certificat.pdf", exact=True)).to_be_visible()
    with staff.context.expect_page() as opened:
        staff.get_by_role("link", name="certificat.pdf", exact=True).click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert "/pieces-jointes/" in viewer.url
    viewer.close()
    staff.get_by_role("link", name="M'attribuer").click()
    staff.get_by_role("button", name="M'attribuer").click()
    expect(staff.get_by_text("Conversation attribuée.")).to_be_visible()
    conversation.refresh_from_db()
    assert conversation.assigned_to == agent
    staff.get_by_role("link", name="Répondre").click()
    staff.get_by_label("Réponse").fill("Bien reçu. Voici l'avoir correspondant au repas de lundi.")
    staff.locator("#id_files").set_input_files(
        files=[{"name": "avoir-lundi.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    screenshot(staff, "admin-message-reply")
    staff.get_by_role("button", name="Envoyer la réponse").click()
    expect(staff.get_by_text("Réponse envoyée ; la famille est prévenue par email.")).to_be_visible()
    screenshot(staff, "admin-message-thread")

    parent.goto(reverse("portail:message_thread", args=[conversation.pk]))
    answer = parent.locator(".thread__message--staff")
    expect(answer.get_by_text("Voici l'avoir correspondant")).to_be_visible()
    with parent.expect_download() as downloaded:
        answer.get_by_role("link", name="Télécharger avoir-lundi.pdf").click()
    assert downloaded.value.suggested_filename == "avoir-lundi.pdf"
    assert open(downloaded.value.path(), "rb").read() == PDF
    screenshot(parent, "message-thread-answer-phone")
    assert_no_serious_axe_violations(parent)

    staff.get_by_role("link", name="Clôturer").click()
    staff.get_by_role("button", name="Clôturer").click()
    expect(staff.get_by_text("Conversation clôturée.")).to_be_visible()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED

"""Links that grant access (activation, password reset, email change) never land readable in the
email log, the admin or the logs: the log keeps the email with the link masked, and the link is
built afresh when the email is sent."""

import html
import importlib
import logging
import re

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse

from core import emails
from core.models import EmailLog
from core.services import accounts
from tests import factories

LINK = re.compile(r"https?://\S+")
TOKEN_PATHS = ("/activer/", "/mot-de-passe-oublie/", "/compte/email/confirmer/")


def link_in(message):
    return LINK.search(message.body).group(0).removeprefix("http://127.0.0.1:8000")


def assert_no_access_link(*texts):
    for text in texts:
        assert not any(path in text for path in TOKEN_PATHS), text


@pytest.fixture
def superuser(db):
    return factories.UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)


def test_a_reset_requested_for_the_superuser_cannot_be_read_in_the_email_log(
    client, superuser, gestionnaire, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("portail:password_reset"), {"email": "admin@example.org"})
    [message] = mail.outbox
    [log] = EmailLog.objects.all()
    assert log.status == EmailLog.Status.SENT and log.subject == message.subject and log.recipient == "admin@example.org"
    assert emails.ACCESS_LINK_MASK in log.body_text and emails.ACCESS_LINK_MASK in log.body_html
    assert_no_access_link(log.body_text, log.body_html, caplog.text)
    assert log.access_link == {"kind": "password_reset", "user": superuser.pk}

    client.force_login(gestionnaire)
    page = client.get(reverse("admin:core_emaillog_change", args=[log.pk]))
    assert page.status_code == 200 and emails.ACCESS_LINK_MASK in html.unescape(page.text)
    assert_no_access_link(html.unescape(page.text))
    # The email itself carries a working link.
    assert "/mot-de-passe-oublie/" in link_in(message)
    assert Client().get(link_in(message), follow=True).context["validlink"] is True


@pytest.mark.parametrize("kind", ["activation", "email_change"])
def test_activation_and_email_change_links_are_masked_in_the_log(kind, family, town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if kind == "activation":
            guardian = factories.GuardianFactory(household=family.household, email="ines@example.org")
            accounts.guardian_send_activation(guardian=guardian)
        else:
            accounts.guardian_request_email_change(guardian=family.parent, new_email="nouveau@example.org")
    [message] = mail.outbox
    [log] = EmailLog.objects.all()
    assert_no_access_link(log.body_text, log.body_html)
    assert emails.ACCESS_LINK_MASK not in message.body
    assert emails.ACCESS_LINK_MASK not in message.alternatives[0].content
    assert link_in(message) in message.alternatives[0].content
    assert Client().get(link_in(message)).status_code == 200


def test_a_retried_email_is_sent_with_a_fresh_link_never_a_stored_one(family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        log = accounts.user_send_password_reset(user=family.user)
    EmailLog.objects.filter(pk=log.pk).update(status=EmailLog.Status.FAILED)
    # Meanwhile the parent changed their password: the link of the first attempt is dead.
    family.user.set_password("Un-autre-mot-de-passe-2026")
    family.user.save()
    emails.send_logged_email(log.pk)
    [message] = mail.outbox
    assert Client().get(link_in(message), follow=True).context["validlink"] is True


def test_an_older_log_whose_link_was_masked_is_not_sent_masked(family):
    log = EmailLog.objects.create(
        kind="password_reset", recipient="parent@example.org", subject="Réinitialisation",
        body_text=f"Lien : {emails.ACCESS_LINK_MASK}", status=EmailLog.Status.FAILED,
    )
    assert emails.send_logged_email(log.pk) is None
    log.refresh_from_db()
    assert mail.outbox == [] and log.status == EmailLog.Status.FAILED and "nouveau" in log.error


def test_any_token_link_reaching_a_body_is_masked():
    text = (
        "a http://x.test/activer/MQ/abc-123/ b https://x.test/mot-de-passe-oublie/Mg/set-password/ "
        '<a href="http://x.test/compte/email/confirmer/eyJn:1x:abc/">x</a> '
        "http://x.test/mot-de-passe-oublie/ http://x.test/mot-de-passe-oublie/envoye/"
    )
    masked = emails.mask_access_links(text)
    assert masked.count(emails.ACCESS_LINK_MASK) == 3
    assert "http://x.test/mot-de-passe-oublie/ " in masked and "/mot-de-passe-oublie/envoye/" in masked


def test_the_migration_masks_the_links_stored_before(db):
    migration = importlib.import_module("core.migrations.0012_emaillog_mask_access_links")
    old = EmailLog.objects.create(
        kind="password_reset", recipient="admin@example.org", subject="Réinitialisation",
        body_text="Choisir : http://127.0.0.1:8000/mot-de-passe-oublie/MQ/cz1abc-0123456789abcdef/",
        body_html='<a href="http://127.0.0.1:8000/mot-de-passe-oublie/MQ/cz1abc-0123456789abcdef/">ici</a>',
    )
    other = EmailLog.objects.create(kind="invoice", recipient="p@example.org", subject="Facture", body_text="http://x/")
    migration.mask_links(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert_no_access_link(old.body_text, old.body_html)
    assert migration.MASK in old.body_text and migration.MASK in old.body_html
    assert other.body_text == "http://x/"


def test_staff_send_a_parent_a_fresh_link_to_the_parent_own_address(
    client, gestionnaire, family, django_capture_on_commit_callbacks
):
    client.force_login(gestionnaire)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_guardian_changelist"),
            {"action": "send_access_link_action", "_selected_action": [family.parent.pk]},
            follow=True,
        )
    assert "Lien de réinitialisation envoyé" in html.unescape(response.text)
    assert_no_access_link(html.unescape(response.text))
    [message] = mail.outbox
    assert message.to == ["parent@example.org"]
    assert Client().get(link_in(message), follow=True).context["validlink"] is True


def test_staff_send_the_activation_to_a_parent_who_never_activated(family, django_capture_on_commit_callbacks):
    newcomer = factories.GuardianFactory(household=family.household, email="ines@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        accounts.guardian_send_access_link(guardian=newcomer)
    [message] = mail.outbox
    assert message.to == ["ines@example.org"] and "/activer/" in link_in(message)


def test_staff_cannot_retype_the_login_address_of_a_parent(client, gestionnaire, administrateur, family):
    """The address of an account is its login: a staff edit of the guardian or of the user could
    hand the account to whoever talked staff into it. The field is read-only on both pages."""
    guardian = family.parent
    client.force_login(gestionnaire)
    page = client.get(reverse("admin:core_guardian_change", args=[guardian.pk]))
    assert 'name="email"' not in page.text and "parent@example.org" in page.text
    client.force_login(administrateur)
    page = client.get(reverse("admin:core_user_change", args=[guardian.user_id]))
    assert 'name="email"' not in page.text
    # A guardian without an account keeps an editable address (staff correct it before activation).
    newcomer = factories.GuardianFactory(household=family.household, email="ines@example.org")
    assert 'name="email"' in client.get(reverse("admin:core_guardian_change", args=[newcomer.pk])).text


def test_staff_change_a_parent_address_through_a_link_the_parent_follows(
    client, gestionnaire, family, django_capture_on_commit_callbacks
):
    guardian = family.parent
    client.force_login(gestionnaire)
    url = reverse("admin:core_guardian_change_email_detail", args=[guardian.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"_form_submitted": "on", "new_email": "Nouvelle@Example.org"}, follow=True)
    assert "Lien de confirmation envoyé à la nouvelle adresse" in html.unescape(response.text)
    assert_no_access_link(html.unescape(response.text))
    [message] = mail.outbox
    assert message.to == ["nouvelle@example.org"]
    guardian.refresh_from_db()
    assert guardian.email == "parent@example.org"  # nothing changes before the parent follows the link
    Client().post(link_in(message), follow=True)
    guardian.refresh_from_db()
    assert guardian.email == "nouvelle@example.org"


def test_staff_are_told_in_french_when_the_new_address_is_taken(client, gestionnaire, family):
    factories.GuardianFactory(household=family.household, email="ines@example.org")
    client.force_login(gestionnaire)
    url = reverse("admin:core_guardian_change_email_detail", args=[family.parent.pk])
    response = client.post(url, {"_form_submitted": "on", "new_email": "ines@example.org"}, follow=True)
    assert "déjà utilisée par un autre compte" in html.unescape(response.text)
    assert not mail.outbox

from pathlib import Path

import pytest
from django.core import mail

from core import emails
from core.models import EmailLog


@pytest.fixture
def hello_templates(settings, tmp_path):
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "hello.subject.txt").write_text("Bonjour {{ name }}\n")
    (folder / "hello.txt").write_text("Bonjour {{ name }}, bienvenue à {{ town_name }}.")
    (folder / "hello.html").write_text("<p>Bonjour <b>{{ name }}</b></p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return folder


def test_queued_email_is_logged_and_sent_after_commit(db, hello_templates, family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [log] = emails.queue_email(
            kind="hello", recipients=["parent@example.org"], context={"name": "Deux"}, household=family.household
        )
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and log.attempts == 1 and log.sent_at
    assert log.subject == "Bonjour Deux" and log.household == family.household
    [message] = mail.outbox
    assert message.to == ["parent@example.org"] and message.subject == "Bonjour Deux"
    assert "bienvenue à Mairie de Valbourg" in message.body
    assert message.alternatives[0].content == "<p>Bonjour <b>Deux</b></p>"


def test_nothing_is_sent_when_the_transaction_rolls_back(db, hello_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emails.queue_email(kind="hello", recipients=["a@example.org"], context={"name": "A"})
    assert len(callbacks) == 1 and mail.outbox == []


def test_a_duplicated_send_task_sends_once(db, hello_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [log] = emails.queue_email(kind="hello", recipients=["a@example.org"], context={"name": "A"})
    assert emails.send_logged_email(log.pk) is None
    assert len(mail.outbox) == 1


def test_failed_send_is_recorded_and_retried(db, hello_templates, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}
    [log] = emails.queue_email(kind="hello", recipients=["a@example.org"], context={"name": "A"})
    with pytest.raises(OSError):
        emails.send_logged_email(log.pk)
    log.refresh_from_db()
    assert log.status == EmailLog.Status.FAILED and "Error" in log.error and log.attempts == 1
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert emails.send_logged_email(log.pk) == log.pk
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and log.attempts == 2 and log.error == ""


def test_anymail_message_id_is_recorded(db, hello_templates, settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    [log] = emails.queue_email(kind="hello", recipients=["a@example.org"], context={"name": "A"})
    emails.send_logged_email(log.pk)
    log.refresh_from_db()
    assert log.provider_message_id == "0"  # the test backend numbers messages from 0


# --- One branded layout for every email ------------------------------------------------------------

EMAIL_TEMPLATES = sorted(
    path.name for path in (Path(emails.__file__).parent / "templates" / "emails").glob("*.html")
    if not path.name.startswith("_")
)


def test_every_email_kind_has_an_html_template():
    assert {"invoice_available.html", "payment_ticket.html", "payment_failed.html", "email_changed_notice.html",
            "basket_validation.html"} <= set(EMAIL_TEMPLATES)


@pytest.mark.parametrize("name", EMAIL_TEMPLATES)
def test_every_html_email_extends_the_branded_base(name, settings):
    from django.template.loader import get_template, render_to_string
    from django.template.loader_tags import ExtendsNode

    first = get_template(f"emails/{name}").template.nodelist[0]
    assert isinstance(first, ExtendsNode) and first.parent_name.var == "emails/_base.html", name
    html = render_to_string(f"emails/{name}", {"town_name": "Mairie de Valbourg"})
    assert "MON ESPACE" in html and "Mairie de Valbourg — Espace Famille" in html
    assert html.count("<html") == 1 and html.count("<body") == 1

"""Emails the system sends. One function per email; each renders
templates/emails/<name>.{subject.txt,txt,html}, records an EmailLog and sends it through the
configured mailer (django-anymail in production) in a django-q2 task enqueued after commit."""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from core import tasks
from core.models import EmailLog

logger = logging.getLogger("core.emails")


def base_context():
    return {"site_url": settings.SITE_URL, "town_name": settings.TOWN_NAME}


def queue_email(*, kind, recipients, context, household=None, attachments=()):
    """Render the `kind` templates once, record one EmailLog per recipient, and send each after
    commit. `attachments` are (name, storage path, mimetype) of files in the default storage."""
    context = {**base_context(), **context}
    subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    logs = [
        EmailLog.objects.create(
            kind=kind,
            recipient=recipient,
            subject=subject,
            body_text=text,
            body_html=html,
            household=household,
            attachments=[{"name": n, "path": p, "mimetype": m} for n, p, m in attachments],
        )
        for recipient in dict.fromkeys(r for r in recipients if r)
    ]
    for log in logs:
        logger.info("email %s queued: %s → %s", log.pk, subject, log.recipient)
        tasks.enqueue(tasks.send_email, log.pk, task_name=f"email-{log.pk}", group="emails")
    return logs


def send_logged_email(log_id):
    """Send one recorded email. Claims it first, so that a duplicated task sends nothing twice;
    a failure is recorded on the log and raised for the queue to retry."""
    claimed = EmailLog.objects.filter(
        Q(status=EmailLog.Status.QUEUED) | Q(status=EmailLog.Status.FAILED), pk=log_id
    ).update(status=EmailLog.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return None
    log = EmailLog.objects.get(pk=log_id)
    message = EmailMultiAlternatives(log.subject, log.body_text, settings.DEFAULT_FROM_EMAIL, [log.recipient])
    if log.body_html:
        message.attach_alternative(log.body_html, "text/html")
    try:
        for attachment in log.attachments:
            with default_storage.open(attachment["path"], "rb") as handle:
                message.attach(attachment["name"], handle.read(), attachment["mimetype"])
        message.send()
    except Exception as error:
        EmailLog.objects.filter(pk=log_id).update(status=EmailLog.Status.FAILED, error=f"{type(error).__name__}: {error}")
        logger.warning("email %s to %s failed: %s", log_id, log.recipient, error)
        raise
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    EmailLog.objects.filter(pk=log_id).update(
        status=EmailLog.Status.SENT, sent_at=timezone.now(), error="", provider_message_id="" if message_id is None else str(message_id)[:250]
    )
    logger.info("email %s sent: %s → %s", log_id, log.subject, log.recipient)
    return log_id

"""Emails the system sends. One function per email; each renders
templates/emails/<name>.{subject.txt,txt,html}, records an EmailLog and sends it through the
configured mailer (django-anymail in production) in a django-q2 task enqueued after commit.

A link that grants access (activation, password reset, email change) is never stored: the log
keeps the email with the link masked and the name of the link to build (`access_link`), and the
link is computed afresh when the email is actually sent, so that a retry or a resend carries a new
link and nobody reading the log, the admin or the logs can use it."""

import logging
import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from core import tasks
from core.models import EmailLog

logger = logging.getLogger("core.emails")

# What the stored body shows instead of a link that grants access.
ACCESS_LINK_MASK = "[lien personnel masqué]"
# A link to one of the portal's pages whose last segments are tokens (activation, forgotten
# password, email change), with or without its scheme and host.
ACCESS_LINK_PATTERN = re.compile(
    r"(?:https?://[^\s\"'<>/]*)?/(?:activer|mot-de-passe-oublie|compte/email/confirmer)/(?!envoye/)[^\s\"'<>]+"
)


def mask_access_links(text):
    """`text` with every token-bearing portal link replaced by ACCESS_LINK_MASK (a safety net for
    a link that reached a body without going through `access_link`)."""
    return ACCESS_LINK_PATTERN.sub(ACCESS_LINK_MASK, text or "")


def base_context():
    return {"site_url": settings.SITE_URL, "town_name": settings.TOWN_NAME}


def queue_email(*, kind, recipients, context, household=None, attachments=(), access_link=None):
    """Render the `kind` templates once, record one EmailLog per recipient, and send each after
    commit. `attachments` are (name, storage path, mimetype) of files in the default storage.
    `access_link` names the link that grants access (see core.services.accounts.build_access_link):
    the templates get the mask as `url`, and the real link is built only at sending."""
    context = {**base_context(), **context}
    if access_link is not None:
        context["url"] = ACCESS_LINK_MASK
    subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    logs = [
        EmailLog.objects.create(
            kind=kind,
            recipient=recipient,
            subject=subject,
            body_text=mask_access_links(text),
            body_html=mask_access_links(html),
            access_link=access_link,
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
    try:
        body_text, body_html = _with_access_link(log)
    except AccessLinkUnavailable as error:
        # Retrying cannot help: staff send a new link from the guardian's page.
        EmailLog.objects.filter(pk=log_id).update(status=EmailLog.Status.FAILED, error=str(error))
        logger.warning("email %s to %s not sent: %s", log_id, log.recipient, error)
        return None
    try:
        message = EmailMultiAlternatives(log.subject, body_text, settings.DEFAULT_FROM_EMAIL, [log.recipient])
        if body_html:
            message.attach_alternative(body_html, "text/html")
        for attachment in log.attachments:
            with default_storage.open(attachment["path"], "rb") as handle:
                message.attach(attachment["name"], handle.read(), attachment["mimetype"])
        message.send()
    except Exception as error:
        # A provider's error may quote the message: what is stored and logged has its link masked.
        reason = mask_access_links(f"{type(error).__name__}: {error}")
        EmailLog.objects.filter(pk=log_id).update(status=EmailLog.Status.FAILED, error=reason)
        logger.warning("email %s to %s failed: %s", log_id, log.recipient, reason)
        raise
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    EmailLog.objects.filter(pk=log_id).update(
        status=EmailLog.Status.SENT, sent_at=timezone.now(), error="", provider_message_id="" if message_id is None else str(message_id)[:250]
    )
    logger.info("email %s sent: %s → %s", log_id, log.subject, log.recipient)
    return log_id


class AccessLinkUnavailable(Exception):
    """The email's link can no longer be built (its account is gone, or it was masked in an
    older log that did not record which link it was)."""


def _with_access_link(log):
    """The bodies to send: the stored ones, with a freshly built link in place of the mask."""
    if ACCESS_LINK_MASK not in log.body_text and ACCESS_LINK_MASK not in log.body_html:
        return log.body_text, log.body_html
    from core.services.accounts import build_access_link

    url = build_access_link(log.access_link) if log.access_link else None
    if url is None:
        raise AccessLinkUnavailable("le lien de cet email n'est plus disponible : envoyez-en un nouveau.")
    return log.body_text.replace(ACCESS_LINK_MASK, url), log.body_html.replace(ACCESS_LINK_MASK, escape(url))

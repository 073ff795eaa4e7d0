"""Faults and races of production: the email provider down, the worker down while a run is
issuing, and two deliveries of one run racing each other (PostgreSQL, threads)."""

import datetime
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Booking, EmailLog, Invoice, InvoiceRun
from core.services import invoicing
from core.services.basket import basket_add, basket_validate
from core.services.deadlines import PARIS
from core import tasks
from core.tasks import send_email
from tests.concurrency import run_concurrently
from tests.core.test_invoicing import DECEMBER, ISSUE_NOW, december, priced  # noqa: F401  (fixtures)

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
MONDAY = datetime.date(2026, 12, 7)
CLOSED_SMTP = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}  # nothing listens there
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


pytestmark = pytest.mark.usefixtures("media_root")


def test_a_failing_email_provider_leaves_the_booking_and_a_retry_sends_the_email(
    family, town, settings, administrateur, client, django_capture_on_commit_callbacks
):
    junior = family.children[0]
    basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=MONDAY, action="book", now=NOW)
    settings.MAILERS = CLOSED_SMTP
    with pytest.raises(OSError), django_capture_on_commit_callbacks(execute=True):
        result = basket_validate(guardian=family.parent, now=NOW)  # committed; then the send task fails

    assert len(result.booked) == 1 and Booking.objects.filter(child=junior, date=MONDAY).exists()  # the booking stands
    log = EmailLog.objects.get(kind="basket_validation")
    assert log.status == EmailLog.Status.FAILED and log.attempts == 1 and log.error and mail.outbox == []
    client.force_login(administrateur)
    page = client.get(reverse("admin:core_emaillog_change", args=[log.pk])).content.decode()
    assert "Échec" in page and log.error.split(":")[0] in page  # staff see why

    settings.MAILERS = LOCMEM  # the provider is back: the queue's retry sends it
    assert send_email(log.pk) == log.pk
    log.refresh_from_db()
    assert log.status == EmailLog.Status.SENT and log.attempts == 2 and log.error == ""
    assert [m.to for m in mail.outbox] == [[family.parent.email]]


@pytest.fixture
def issuing_run(december, town, django_capture_on_commit_callbacks):
    """A December run issued while the worker is down: numbered, but no PDF and no email yet."""
    with django_capture_on_commit_callbacks(execute=True):
        run = invoicing.invoice_run_create(regie=town.regie, month=DECEMBER)
    with mock.patch("core.tasks.enqueue") as lost, django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    lost.assert_called_once_with(tasks.deliver_invoice_run, run.pk, group="invoicing")  # never reached a worker
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUING and not run.invoices.exclude(pdf="").exists()
    assert mail.outbox == [] and not EmailLog.objects.exists()
    return run


def _delivered_once(run, media_root):
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.ISSUED
    invoices = list(run.invoices.all())
    assert invoices and all(invoice.pdf for invoice in invoices)
    stored = sorted(p.name for p in Path(media_root).rglob("*.pdf"))
    assert len(stored) == len(invoices), stored  # each PDF stored once
    assert EmailLog.objects.filter(kind="invoice_available").count() == len(invoices)
    assert sorted(m.to[0] for m in mail.outbox) == ["parent2a@example.org", "parent@example.org"]  # each once


def test_a_run_issued_while_the_worker_was_down_is_delivered_once_by_two_deliveries(
    issuing_run, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_deliver(run_id=issuing_run.pk)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_deliver(run_id=issuing_run.pk)  # a duplicated task once the worker is back
    _delivered_once(issuing_run, settings.MEDIA_ROOT)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_racing_on_one_run_store_and_send_each_invoice_once(issuing_run, settings):
    def deliver():
        invoicing.invoice_run_deliver(run_id=issuing_run.pk)

    _, errors = run_concurrently(deliver, deliver, timeout=120)
    assert errors == []
    _delivered_once(issuing_run, settings.MEDIA_ROOT)
    assert Invoice.objects.filter(run=issuing_run, status=Invoice.Status.UNPAID).count() == 2

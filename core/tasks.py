"""django-q2 task functions: they take ids and call one service. Services enqueue them with
`enqueue`, never by a dotted name (schedules, stored in the database, are the exception)."""

from collections.abc import Callable

from django.db import transaction


def enqueue(task: Callable, *args, group: str, task_name: str | None = None) -> None:
    """Hand `task(*args)` to the workers once the current transaction commits (at once outside
    one): a job never runs on rows that were rolled back, nor before they are visible to it.
    `task` is one of this module's functions, passed itself so that a renamed task breaks the
    import, not the queue."""
    if getattr(task, "__module__", None) != __name__:
        raise TypeError(f"{task!r} is not a task of {__name__}")
    from django_q.tasks import async_task

    options = {"group": group} | ({"task_name": task_name} if task_name else {})
    transaction.on_commit(lambda: async_task(task, *args, **options))


def send_email(log_id):
    from core import emails

    return emails.send_logged_email(log_id)


def compute_invoice_run(run_id):
    from core.services.invoicing import invoice_run_compute

    run = invoice_run_compute(run_id=run_id)
    return run and run.pk


def deliver_invoice_run(run_id):
    from core.services.invoicing import invoice_run_deliver

    run = invoice_run_deliver(run_id=run_id)
    return run and run.pk


def deliver_invoices(run_id, invoice_ids):
    from core.services.invoicing import invoice_run_deliver_chunk

    return invoice_run_deliver_chunk(run_id=run_id, invoice_ids=invoice_ids).pk


def render_credit_note_pdf(credit_note_id):
    from core.services.invoicing import credit_note_store_pdf

    return credit_note_store_pdf(credit_note_id=credit_note_id).pk


def check_payment(payment_id):
    from core.services.payments import payment_check

    return payment_check(payment_id=payment_id, source="notification").status


def reconcile_payments():
    from core.services.payments import payments_reconcile

    return len(payments_reconcile())


def remind_expiring_documents():
    from core.services.documents import documents_remind_expiring

    return len(documents_remind_expiring())


def purge_departed_documents():
    from core.services.documents import documents_purge_departed

    return documents_purge_departed()


def purge_account_requests():
    from core.services.account_requests import account_requests_purge

    return account_requests_purge()


def send_reminders():
    from core.services.reminders import reminders_send

    return len(reminders_send())


def lapse_mandates():
    from core.services.mandates import mandates_lapse

    return len(mandates_lapse())


def confirm_due_debit_batches():
    from core.services.direct_debit import debit_batches_confirm_due

    return len(debit_batches_confirm_due())


def send_notice_emails(notice_id, household_ids):
    from core.services.notices import notice_email_batch

    return notice_email_batch(notice_id=notice_id, household_ids=household_ids)


def send_caterer_orders():
    from core.services.caterer_orders import caterer_orders_send_due

    return len(caterer_orders_send_due())


def send_caterer_correction(school_id, day):
    import datetime

    from core.services.caterer_orders import caterer_correction_send

    return caterer_correction_send(school_id=school_id, day=datetime.date.fromisoformat(day)).pk

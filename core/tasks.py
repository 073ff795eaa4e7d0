"""django-q2 task functions: they take ids and call one service."""

from core import emails


def send_email(log_id):
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

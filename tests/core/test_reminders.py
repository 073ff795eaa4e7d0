"""Reminders of unpaid invoices: the régie's schedule, sent once per step by the daily job, never
for an invoice that cannot be paid; manual reminders; the overdue amounts by age."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError

from core import tasks
from core.models import EmailLog, Invoice, InvoiceReminder, Payment, PaymentAllocation
from core.services import reminders
from tests import factories

DUE = datetime.date(2027, 2, 4)  # the factory's due date; issued on 5 January 2027


def at(day, hour=8):
    """8:00 in Paris on `day`, as an aware datetime."""
    from core.constants import PARIS

    return datetime.datetime.combine(day, datetime.time(hour), PARIS)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def schedule(town):
    return reminders.reminder_steps_default(regie=town.regie)


@pytest.fixture
def invoice(town, family, schedule):
    return factories.InvoiceFactory(regie=town.regie, household=family.household, payer_email="parent@example.org")


def days(n):
    return DUE + datetime.timedelta(days=n)


def send(day, captured):
    with captured(execute=True):
        return reminders.reminders_send(now=at(day))


def test_each_step_goes_out_on_its_day_and_only_once(invoice, schedule, django_capture_on_commit_callbacks):
    assert send(days(-6), django_capture_on_commit_callbacks) == []
    first = send(days(-5), django_capture_on_commit_callbacks)
    assert [r.step.offset_days for r in first] == [-5]
    assert send(days(-5), django_capture_on_commit_callbacks) == []  # the job running twice sends nothing
    assert send(days(9), django_capture_on_commit_callbacks) == []
    assert [r.step.offset_days for r in send(days(10), django_capture_on_commit_callbacks)] == [10]
    assert send(days(20), django_capture_on_commit_callbacks) == []
    last = send(days(30), django_capture_on_commit_callbacks)
    assert [r.step.offset_days for r in last] == [30]
    assert send(days(90), django_capture_on_commit_callbacks) == []
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 3
    subjects = [m.subject for m in mail.outbox]
    assert subjects[0].startswith("Rappel : facture n° RS2027") and "04/02/2027" in subjects[0]
    assert subjects[1].startswith("Relance — facture")
    assert subjects[2].startswith("Lettre de relance — facture")
    logs = EmailLog.objects.filter(kind="invoice_reminder", household=invoice.household)
    assert logs.count() == 3 and {log.status for log in logs} == {EmailLog.Status.SENT}


def test_the_last_step_attaches_the_lettre_de_relance(invoice, django_capture_on_commit_callbacks):
    from pypdf import PdfReader

    (reminder,) = send(days(30), django_capture_on_commit_callbacks)
    assert reminder.with_letter and reminder.letter
    letter = mail.outbox[-1].attachments[0]
    assert letter[0] == f"lettre-de-relance-{invoice.number}.pdf" and letter[2] == "application/pdf"
    text = PdfReader(io.BytesIO(letter[1])).pages[0].extract_text()
    assert "Lettre de relance" in text and invoice.number in text and "59,20" in text


def test_a_late_job_sends_the_latest_step_only(invoice, django_capture_on_commit_callbacks):
    sent = send(days(45), django_capture_on_commit_callbacks)
    assert [r.step.offset_days for r in sent] == [30]
    assert send(days(46), django_capture_on_commit_callbacks) == []


def test_a_step_whose_day_came_before_the_issue_is_skipped(town, family, schedule, django_capture_on_commit_callbacks):
    factories.InvoiceFactory(
        regie=town.regie, household=family.household, issue_date=days(-2), payer_email="parent@example.org"
    )
    assert send(days(-1), django_capture_on_commit_callbacks) == []


def test_a_paid_invoice_is_not_reminded(invoice, django_capture_on_commit_callbacks):
    payment = Payment.objects.create(
        household=invoice.household, regie=invoice.regie, method=Payment.Method.CHEQUE, status=Payment.Status.PAID,
        amount=invoice.total, received_on=DUE, created_at=at(DUE),
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=invoice.total)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    assert send(days(10), django_capture_on_commit_callbacks) == []
    assert not InvoiceReminder.objects.exists()


def test_an_invoice_being_paid_online_is_not_reminded(invoice, django_capture_on_commit_callbacks):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAYMENT_IN_PROGRESS)
    assert send(days(10), django_capture_on_commit_callbacks) == []
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.UNPAID)
    assert len(send(days(10), django_capture_on_commit_callbacks)) == 1


def test_a_household_with_reminders_off_gets_none(invoice, django_capture_on_commit_callbacks):
    reminders.household_set_reminders(household_id=invoice.household_id, enabled=False)
    assert send(days(10), django_capture_on_commit_callbacks) == []
    reminders.household_set_reminders(household_id=invoice.household_id, enabled=True)
    assert len(send(days(10), django_capture_on_commit_callbacks)) == 1


def test_a_step_is_claimed_by_its_row(invoice, schedule):
    """Two jobs sending the same step: the second finds the row taken and sends nothing."""
    first = reminders.reminder_send(invoice_id=invoice.pk, step_id=schedule[1].pk, now=at(days(10)))
    assert first is not None
    assert reminders.reminder_send(invoice_id=invoice.pk, step_id=schedule[1].pk, now=at(days(10))) is None
    with pytest.raises(IntegrityError):
        InvoiceReminder.objects.create(invoice=invoice, step=schedule[1], sent_at=at(days(10)), balance=Decimal("1"))


def test_staff_send_a_reminder_by_hand_with_the_letter(invoice, regisseur, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminder = reminders.reminder_send(invoice_id=invoice.pk, with_letter=True, by=regisseur, now=at(days(3)))
    assert reminder.step is None and reminder.sent_by == regisseur and reminder.letter
    assert reminder.balance == Decimal("59.20")
    assert {a[0] for a in mail.outbox[0].attachments} == {f"lettre-de-relance-{invoice.number}.pdf"}
    # A manual reminder does not stand for a scheduled step.
    assert [r.step.offset_days for r in send(days(10), django_capture_on_commit_callbacks)] == [10]


def test_a_manual_reminder_of_an_invoice_not_payable_is_refused(invoice):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAYMENT_IN_PROGRESS)
    with pytest.raises(reminders.ReminderError, match="paiement en cours"):
        reminders.reminder_send(invoice_id=invoice.pk, now=at(days(3)))


def test_without_email_the_reminder_is_kept_for_the_post(town, family, schedule):
    invoice = factories.InvoiceFactory(regie=town.regie, household=family.household, payer_email="")
    (reminder,) = reminders.reminders_send(now=at(days(30)))
    assert reminder.email_log is None and reminder.letter and "courrier" in reminder.note
    assert reminder.invoice == invoice


def test_the_daily_job_follows_the_clock(invoice, django_capture_on_commit_callbacks):
    """The scheduled task itself, with the clock moved to each morning."""
    sent = []
    for offset in range(-7, 32):
        with time_machine.travel(at(days(offset)), tick=False), django_capture_on_commit_callbacks(execute=True):
            if tasks.send_reminders():
                sent.append(offset)
    assert sent == [-5, 10, 30]


def test_the_schedule_is_registered_daily(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="core.tasks.send_reminders")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1


def test_overdue_amounts_by_age(town, family):
    today = datetime.date(2027, 6, 1)

    months = iter(range(1, 13))

    def overdue(days_late, total):
        run = factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2026, next(months), 1))
        return factories.InvoiceFactory(
            regie=town.regie, household=family.household, run=run, total=Decimal(total),
            due_date=today - datetime.timedelta(days=days_late),
        )

    overdue(0, "1.00")  # due today: not late yet
    overdue(1, "10.00")
    overdue(30, "20.00")
    overdue(31, "40.00")
    overdue(60, "80.00")
    overdue(61, "160.00")
    paid = overdue(90, "320.00")
    Invoice.objects.filter(pk=paid.pk).update(status=Invoice.Status.PAID)
    ages = reminders.overdue_by_age(today=today)
    assert [(a["label"], a["amount"]) for a in ages] == [
        ("0–30 jours", Decimal("30.00")), ("31–60 jours", Decimal("120.00")), ("plus de 60 jours", Decimal("160.00")),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_jobs_racing_on_one_step_send_one_reminder(town, family):
    import threading

    from django.db import connection

    from tests.figures import RACES

    steps = reminders.reminder_steps_default(regie=town.regie)
    invoice = factories.InvoiceFactory(regie=town.regie, household=family.household, payer_email="parent@example.org")
    barrier, results, errors = threading.Barrier(2), [], []

    def send_in_thread():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.reminder_send(invoice_id=invoice.pk, step_id=steps[1].pk, now=at(days(10))))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    RACES["tried"] += 1
    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 1
    assert EmailLog.objects.filter(kind="invoice_reminder").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hand_over_and_a_payment_start_never_both_take_an_invoice(town, family, regisseur, settings):
    """The hand-over locks the invoices as payment_start does: one wins, the other is refused."""
    import threading

    from django.db import connection

    from core.services import handover, payments
    from tests.figures import RACES

    settings.SITE_URL = "http://127.0.0.1:9"  # PayFiP unreachable: a start that wins fails after reserving
    settings.PAYFIP_TIMEOUT = 1
    invoice = factories.InvoiceFactory(regie=town.regie, household=family.household)
    now = at(days(40))
    barrier, outcomes = threading.Barrier(2), {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = call()
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("handover", lambda: handover.handover_create(
            invoice_ids=[invoice.pk], by=regisseur, now=now))),
        threading.Thread(target=run, args=("payment", lambda: payments.payment_start(
            guardian=family.parent, invoice_ids=[invoice.pk], now=now))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    RACES["tried"] += 1
    handed_over = not isinstance(outcomes["handover"], Exception)
    if handed_over:
        assert isinstance(outcomes["payment"], payments.PaymentError)
        assert not Payment.objects.exclude(status=Payment.Status.ERROR).exists()  # at most a failed start
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.TRANSMITTED
    else:
        assert isinstance(outcomes["handover"], handover.HandoverError)
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.UNPAID  # PayFiP failed: payable again

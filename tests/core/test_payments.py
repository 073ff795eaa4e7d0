"""Online payments through PayFiP, against the local simulator over real HTTP (live server, real
sockets): start, notification, result fetch, reconciliation, mismatches; and manual payments."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.models import Invoice, Payment
from core.payfip_simulator.models import PayfipSimulatorOperation
from core.models.payments import ATTEMPT_HOLD, LATE_RESULT_WATCH
from core.services import handover, payments
from core.services.payments import InvoiceNotFound, PaymentError
from tests import factories
from tests.concurrency import run_concurrently
from tests.core.test_payfip_client import http

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def online(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_BACKEND = "simulator"
    settings.PAYFIP_SAISIE = "X"
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "deliver"
    return live_server


@pytest.fixture
def regie(db):
    return factories.RegieFactory(name="Régie de la restauration scolaire", invoice_prefix="RS", payfip_numcli="012345")


@pytest.fixture
def parent(db):
    household = factories.HouseholdFactory(reference="TEST", name="TEST")
    return factories.ParentFactory(household=household, email="parent@example.org", is_billing_contact=True)


@pytest.fixture
def invoice(regie, parent):
    return factories.InvoiceFactory(regie=regie, household=parent.household, total=Decimal("59.20"))


def pay(live_server, payment, resultrans="P", notification="deliver", **choices):
    """The payer's choice on the simulator's card page, without a browser."""
    status, headers, _ = http(
        f"{live_server.url}/simulateur-payfip/paiement/resultat",
        {"idop": payment.idop, "resultrans": resultrans, "notification": notification, **choices},
    )
    assert status == 302
    return headers["Location"]


def reloaded(obj):
    obj.refresh_from_db()
    return obj


def kinds():
    return [message.subject for message in mail.outbox]


def test_start_reserves_the_invoice_and_sends_the_payer_to_payfip(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])

    assert payment.status == Payment.Status.INITIATED and payment.idop
    assert payment.payment_url == f"{online.url}/simulateur-payfip/paiement?idop={payment.idop}"
    assert reloaded(invoice).status == Invoice.Status.PAYMENT_IN_PROGRESS
    operation = PayfipSimulatorOperation.objects.get(idop=payment.idop)
    assert (operation.montant, operation.refdet, operation.mel) == (5920, invoice.number, "parent@example.org")
    assert operation.urlnotif == f"{online.url}/paiements/{payment.uuid}/notification/"
    assert operation.urlredirect == f"{online.url}/paiements/{payment.uuid}/retour/"
    assert operation.objet == f"Facture {invoice.number}"


def test_a_paid_payment_settles_the_invoice_and_emails_the_ticket(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    location = pay(online, payment, "P")

    assert location == f"{online.url}/paiements/{payment.uuid}/retour/?idop={payment.idop}"
    payment = reloaded(payment)
    assert payment.status == Payment.Status.PAID
    assert payment.numauto and payment.resultrans == "P" and payment.transaction_at
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.PAID and invoice.balance == Decimal("0.00")
    assert invoice.paid_amount == Decimal("59.20")
    [ticket] = mail.outbox
    assert ticket.subject == "Ticket de paiement — 59,20 €"
    paris = timezone.localtime(payment.transaction_at)
    for text in (invoice.number, payment.idop, payment.numauto, f"{paris:%d/%m/%Y}", f"{paris:%H}h{paris:%M}"):
        assert text in ticket.body
    assert ticket.to == ["parent@example.org"]


def test_a_duplicated_notification_pays_once(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    pay(online, payment, "P", notification="duplicate")

    payment = reloaded(payment)
    assert payment.status == Payment.Status.PAID
    assert payment.events.filter(kind="notification").count() == 2
    assert payment.events.filter(kind="paid").count() == 1
    assert len(mail.outbox) == 1
    assert reloaded(invoice).paid_amount == Decimal("59.20")


@pytest.mark.parametrize("resultrans, status", [("R", "refused"), ("Z", "refused"), ("A", "abandoned")])
def test_a_failed_payment_emails_the_failure_and_the_invoice_is_payable_again(online, parent, invoice, resultrans, status):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    pay(online, payment, resultrans)

    assert reloaded(payment).status == status
    assert reloaded(invoice).status == Invoice.Status.UNPAID and invoice.balance == Decimal("59.20")
    assert kinds() == ["Échec de votre paiement en ligne"]
    again = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    assert again.pk != payment.pk and again.status == Payment.Status.INITIATED


def test_a_dropped_notification_is_recovered_by_the_reconciliation(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    pay(online, payment, "V", notification="drop")
    assert reloaded(payment).status == Payment.Status.INITIATED
    assert reloaded(invoice).status == Invoice.Status.PAYMENT_IN_PROGRESS

    from core.tasks import reconcile_payments

    assert reconcile_payments() == 1
    assert reloaded(payment).status == Payment.Status.PAID
    assert reloaded(invoice).status == Invoice.Status.PAID
    assert len(mail.outbox) == 1


def test_a_notification_alone_pays_nothing(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    status, _, body = http(f"{online.url}/paiements/{payment.uuid}/notification/", {"idOp": payment.idop})

    assert (status, body) == (200, "OK")
    payment = reloaded(payment)
    assert payment.status == Payment.Status.INITIATED  # PayFiP answers P5: still in flight
    assert payment.events.filter(kind="pending").exists()
    assert reloaded(invoice).status == Invoice.Status.PAYMENT_IN_PROGRESS


def test_the_notification_endpoint_always_answers_200(online):
    unknown = "6f1c1c52-6f0b-4d5b-9a53-0a0a0a0a0a0a"
    assert http(f"{online.url}/paiements/{unknown}/notification/", {"idop": "x"})[0] == 200
    assert http(f"{online.url}/paiements/{unknown}/notification/", {})[0] == 200


def test_an_attempt_with_no_result_expires_after_the_hold(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    payments.payments_reconcile(now=payment.created_at + datetime.timedelta(minutes=5))
    assert reloaded(payment).status == Payment.Status.INITIATED

    payments.payments_reconcile(now=payment.created_at + ATTEMPT_HOLD + datetime.timedelta(seconds=1))
    assert reloaded(payment).status == Payment.Status.EXPIRED
    assert reloaded(invoice).status == Invoice.Status.UNPAID
    assert kinds() == ["Échec de votre paiement en ligne"]


def test_an_idop_payfip_forgot_expires_the_attempt(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    PayfipSimulatorOperation.objects.filter(idop=payment.idop).delete()  # purged at PayFiP: P1
    payments.payment_check(payment_id=payment.pk)
    assert reloaded(payment).status == Payment.Status.EXPIRED


def test_a_stale_attempt_no_longer_blocks_a_new_start(online, parent, invoice):
    first = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    with pytest.raises(PaymentError, match="paiement en cours"):
        payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    later = first.created_at + ATTEMPT_HOLD + datetime.timedelta(minutes=1)
    second = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk], now=later)
    assert reloaded(first).status == Payment.Status.EXPIRED
    assert second.status == Payment.Status.INITIATED


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"montant": 100}, "montant 100 centimes au lieu de 5920"),
        ({"refdet": "RS202799999"}, "référence"),
        ({"numcli": "999999"}, "numcli"),
    ],
)
def test_a_payfip_answer_that_does_not_match_is_never_paid(online, parent, invoice, change, problem):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    PayfipSimulatorOperation.objects.filter(idop=payment.idop).update(**change)
    pay(online, payment, "P")

    payment = reloaded(payment)
    assert payment.status == Payment.Status.MISMATCH
    assert problem in payment.mismatch
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.UNPAID and invoice.paid_amount == Decimal("0.00")
    assert mail.outbox == []
    assert list(Payment.objects.filter(status="mismatch", mismatch_reviewed_at__isnull=True)) == [payment]


def test_a_test_payment_is_refused_in_production_mode(online, settings, parent, invoice):
    settings.PAYFIP_SAISIE = "W"
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    PayfipSimulatorOperation.objects.filter(idop=payment.idop).update(saisie="T")
    pay(online, payment, "P")
    payment = reloaded(payment)
    assert payment.status == Payment.Status.MISMATCH and "saisie T" in payment.mismatch
    assert reloaded(invoice).status == Invoice.Status.UNPAID


def test_a_refdet_with_a_hyphen_is_never_sent(online, parent, regie):
    hyphenated = factories.InvoiceFactory(regie=regie, household=parent.household, number="RS-2027-00042")
    payment = payments.payment_start(guardian=parent, invoice_ids=[hyphenated.pk])
    assert payment.refdet == "RS202700042"
    assert PayfipSimulatorOperation.objects.get(idop=payment.idop).refdet == "RS202700042"


def test_several_invoices_are_paid_under_a_reference_of_the_attempt(online, parent, regie, invoice):
    second = factories.InvoiceFactory(regie=regie, household=parent.household, total=Decimal("12.30"),
                                      run=factories.InvoiceRunFactory(regie=regie, month=datetime.date(2027, 1, 1)))
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk, str(second.pk)])
    assert payment.amount == Decimal("71.50")
    assert payment.refdet == f"RSP{payment.pk:09d}"
    operation = PayfipSimulatorOperation.objects.get(idop=payment.idop)
    assert (operation.montant, operation.refdet) == (7150, payment.refdet)
    pay(online, payment, "P")
    assert set(Invoice.objects.filter(status="paid").values_list("pk", flat=True)) == {invoice.pk, second.pk}


def test_another_households_invoice_cannot_be_paid(online, parent, regie):
    other = factories.InvoiceFactory(regie=regie, household=factories.HouseholdFactory())
    with pytest.raises(InvoiceNotFound):
        payments.payment_start(guardian=parent, invoice_ids=[other.pk])
    assert not Payment.objects.exists() and reloaded(other).status == Invoice.Status.UNPAID


def test_only_due_invoices_of_one_regie_can_be_paid(online, parent, regie, invoice):
    other_regie = factories.RegieFactory(invoice_prefix="PE")
    childcare = factories.InvoiceFactory(regie=other_regie, household=parent.household)
    with pytest.raises(PaymentError, match="régies différentes"):
        payments.payment_start(guardian=parent, invoice_ids=[invoice.pk, childcare.pk])
    Invoice.objects.filter(pk=childcare.pk).update(status=Invoice.Status.CANCELLED)
    with pytest.raises(PaymentError, match="n'est plus à payer"):
        payments.payment_start(guardian=parent, invoice_ids=[childcare.pk])
    with pytest.raises(PaymentError, match="au moins une facture"):
        payments.payment_start(guardian=parent, invoice_ids=[])
    assert not Payment.objects.exists()


def test_payfip_unreachable_leaves_the_invoice_payable(settings, parent, invoice):
    settings.SITE_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.PAYFIP_TIMEOUT = 2
    with pytest.raises(PaymentError) as raised:
        payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    assert "momentanément indisponible" in str(raised.value) and "restent à payer" in str(raised.value)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.ERROR and "injoignable" in payment.error
    assert reloaded(invoice).status == Invoice.Status.UNPAID
    assert mail.outbox == []


def test_the_reconciliation_schedule_is_created_once_by_the_migration():
    import importlib

    from django.apps import apps
    from django_q.models import Schedule

    migration = importlib.import_module("core.migrations.0008_payments")
    Schedule.objects.all().delete()  # transactional tests flush what migrations wrote
    migration.create_reconcile_schedule(apps, None)
    migration.create_reconcile_schedule(apps, None)
    [schedule] = Schedule.objects.filter(func="core.tasks.reconcile_payments")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 5, -1)


# --- manual payments -----------------------------------------------------------------------------
def test_a_partial_manual_payment_lowers_the_balance_then_settles(parent, invoice, staff_agent):
    cheque = payments.payment_record_manual(
        household=parent.household, method="cheque", amount="20.00", invoice_ids=[invoice.pk],
        received_on=datetime.date(2027, 1, 10), reference="Chèque n° 1234567", by=staff_agent,
    )
    assert cheque.status == Payment.Status.PAID
    invoice = reloaded(invoice)
    assert invoice.balance == Decimal("39.20") and invoice.status == Invoice.Status.UNPAID
    payments.payment_record_manual(
        household=parent.household, method="cash", amount=Decimal("39.20"), invoice_ids=[invoice.pk],
        received_on=datetime.date(2027, 1, 11), by=staff_agent,
    )
    invoice = reloaded(invoice)
    assert invoice.balance == Decimal("0.00") and invoice.status == Invoice.Status.PAID
    with pytest.raises(PaymentError, match="n'est plus à payer"):
        payments.payment_record_manual(
            household=parent.household, method="cash", amount=1, invoice_ids=[invoice.pk], received_on=None
        )


def test_a_manual_payment_is_allocated_oldest_due_first_and_never_above_the_balance(parent, regie, invoice):
    newer = factories.InvoiceFactory(regie=regie, household=parent.household, due_date=datetime.date(2027, 3, 4),
                                     run=factories.InvoiceRunFactory(regie=regie, month=datetime.date(2027, 1, 1)))
    with pytest.raises(PaymentError, match="dépasse le reste dû"):
        payments.payment_record_manual(household=parent.household, method="transfer", amount="118.41",
                                       invoice_ids=[invoice.pk, newer.pk], received_on=None)
    payment = payments.payment_record_manual(household=parent.household, method="cesu", amount="70.00",
                                             invoice_ids=[newer.pk, invoice.pk], received_on=None)
    assert {a.invoice_id: a.amount for a in payment.allocations.all()} == {
        invoice.pk: Decimal("59.20"), newer.pk: Decimal("10.80")
    }
    assert reloaded(invoice).status == "paid" and reloaded(newer).balance == Decimal("48.40")


def test_a_manual_payment_cannot_touch_an_invoice_in_flight_or_of_another_household(online, parent, regie, invoice):
    payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    with pytest.raises(PaymentError, match="paiement en ligne en cours"):
        payments.payment_record_manual(household=parent.household, method="cash", amount=5,
                                       invoice_ids=[invoice.pk], received_on=None)
    with pytest.raises(InvoiceNotFound):
        payments.payment_record_manual(household=factories.HouseholdFactory(), method="cash", amount=5,
                                       invoice_ids=[invoice.pk], received_on=None)


def test_an_online_payment_never_pays_an_invoice_settled_meanwhile(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    # Staff settled the invoice by hand although it was held (e.g. through the database).
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.UNPAID)
    payments.payment_record_manual(household=parent.household, method="cash", amount="59.20",
                                   invoice_ids=[invoice.pk], received_on=None)
    pay(online, payment, "P")
    payment = reloaded(payment)
    assert payment.status == Payment.Status.MISMATCH and "déjà réglée" in payment.mismatch
    assert payment.is_refund_pending and "59.20 € à rembourser" in payment.mismatch
    assert reloaded(invoice).paid_amount == Decimal("59.20")


# --- results PayFiP gives after we gave up on the attempt -----------------------------------------
def expired(payment):
    """The reconciliation past the hold, PayFiP still answering P5: the attempt is given up on."""
    payments.payments_reconcile(now=payment.created_at + ATTEMPT_HOLD + datetime.timedelta(minutes=1))
    payment = reloaded(payment)
    assert payment.status == Payment.Status.EXPIRED
    return payment


LATER = datetime.timedelta(minutes=40)  # when reconciled_later first reconciles, after the attempt started


def reconciled_later(payment):
    """Reconcile LATER after the attempt started and again 5 minutes on; return the payment reloaded."""
    later = payment.created_at + LATER
    payments.payments_reconcile(now=later)
    payments.payments_reconcile(now=later + datetime.timedelta(minutes=5))
    return reloaded(payment)


def test_a_payment_payfip_concludes_after_the_attempt_expired_ends_paid_once(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(payment)
    assert reloaded(invoice).status == Invoice.Status.UNPAID
    # The payer's operation was still alive at PayFiP: it ends paid, and the notification is lost.
    pay(online, payment, "P", notification="drop")

    payment = reconciled_later(payment)
    assert payment.status == Payment.Status.PAID and payment.numauto and not payment.refund_due
    assert payment.events.filter(kind="paid").count() == 1
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.PAID and invoice.paid_amount == Decimal("59.20")
    assert kinds() == ["Échec de votre paiement en ligne", "Ticket de paiement — 59,20 €"]
    assert not Payment.objects.watched(now=payment.created_at + LATER)


def test_a_late_result_notified_by_payfip_is_fetched(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(payment)
    pay(online, payment, "V", notification="deliver")

    assert reloaded(payment).status == Payment.Status.PAID
    assert reloaded(invoice).status == Invoice.Status.PAID


def test_an_abandoned_attempt_that_payfip_then_pays_ends_paid(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    # PayFiP answers A for ten minutes, then the payer's operation ends paid.
    pay(online, payment, "P", notification="drop", late_by_minutes="10", interim="A")
    payments.payment_check(payment_id=payment.pk)
    assert reloaded(payment).status == Payment.Status.ABANDONED
    assert reloaded(invoice).status == Invoice.Status.UNPAID
    payments.payments_reconcile()
    assert reloaded(payment).status == Payment.Status.ABANDONED  # still A: asked again later

    PayfipSimulatorOperation.objects.filter(idop=payment.idop).update(result_at=timezone.now())  # ten minutes on
    payments.payments_reconcile()

    payment = reloaded(payment)
    assert payment.status == Payment.Status.PAID and payment.resultrans == "P"
    assert reloaded(invoice).status == Invoice.Status.PAID
    assert kinds() == ["Échec de votre paiement en ligne", "Ticket de paiement — 59,20 €"]


def test_an_expired_attempt_is_asked_until_payfip_purges_it(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    payment = expired(payment)
    assert payment.watch_until == payment.created_at + LATE_RESULT_WATCH
    checks = payment.check_count

    payments.payments_reconcile(now=payment.created_at + datetime.timedelta(minutes=30))  # still P5
    payment = reloaded(payment)
    assert payment.check_count == checks + 1 and payment.watch_until is not None

    status, _, _ = http(f"{online.url}/simulateur-payfip/paiement/purge", {"idop": payment.idop})
    assert status == 410
    payments.payments_reconcile(now=payment.created_at + datetime.timedelta(minutes=35))  # P1
    payment = reloaded(payment)
    assert payment.status == Payment.Status.EXPIRED and payment.watch_until is None
    assert payment.events.filter(kind="watch_ended").count() == 1

    payments.payments_reconcile(now=payment.created_at + datetime.timedelta(minutes=40))
    assert reloaded(payment).check_count == checks + 2  # no longer asked


def test_a_given_up_attempt_is_no_longer_asked_after_the_watch(online, parent, invoice):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    payment = expired(payment)
    pay(online, payment, "P", notification="drop")

    payments.payments_reconcile(now=payment.created_at + LATE_RESULT_WATCH)

    assert reloaded(payment).status == Payment.Status.EXPIRED
    assert reloaded(payment).check_count == payment.check_count


def test_a_late_payment_of_an_invoice_paid_at_the_desk_meanwhile_is_to_refund(online, parent, invoice, staff_agent):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(payment)
    payments.payment_record_manual(household=parent.household, method="cash", amount="59.20",
                                   invoice_ids=[invoice.pk], received_on=None)
    assert reloaded(invoice).status == Invoice.Status.PAID
    pay(online, payment, "P", notification="drop")

    payment = reconciled_later(payment)
    assert payment.status == Payment.Status.MISMATCH and payment.is_refund_pending
    assert "déjà réglée" in payment.mismatch and "59.20 € à rembourser" in payment.mismatch
    assert list(Payment.objects.to_refund()) == [payment]
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.PAID and invoice.paid_amount == Decimal("59.20")
    assert kinds() == ["Échec de votre paiement en ligne"]  # no ticket for money not allocated

    at = payment.created_at + LATER + datetime.timedelta(hours=1)
    payments.payment_refund_record(payment_id=payment.pk, by=staff_agent, now=at)
    payments.payment_refund_record(payment_id=payment.pk, by=staff_agent, now=at + datetime.timedelta(hours=1))
    payment = reloaded(payment)
    assert (payment.refunded_at, payment.refunded_by) == (at, staff_agent)
    assert payment.events.filter(kind="refunded").count() == 1
    assert not Payment.objects.to_refund()


def test_a_late_payment_of_an_invoice_handed_to_the_public_accountant_meanwhile_is_to_refund(
    online, parent, invoice, staff_agent
):
    payment = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(payment)
    handed_at = payment.created_at + datetime.timedelta(minutes=20)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=handed_at.date() - datetime.timedelta(days=10))  # overdue
    handover.handover_create(invoice_ids=[invoice.pk], by=staff_agent, now=handed_at)
    assert reloaded(invoice).status == Invoice.Status.TRANSMITTED
    pay(online, payment, "P", notification="drop")

    payment = reconciled_later(payment)
    assert payment.status == Payment.Status.MISMATCH and payment.is_refund_pending
    assert "transmise au comptable public" in payment.mismatch
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.TRANSMITTED and invoice.balance == invoice.total


def test_a_late_payment_of_an_invoice_paid_by_another_attempt_is_to_refund(online, parent, invoice):
    first = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(first)
    second = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk],
                                    now=first.created_at + ATTEMPT_HOLD + datetime.timedelta(minutes=2))
    pay(online, second, "P")
    assert reloaded(second).status == Payment.Status.PAID
    pay(online, first, "P", notification="drop")

    payments.payments_reconcile(now=first.created_at + datetime.timedelta(minutes=40))

    first = reloaded(first)
    assert first.status == Payment.Status.MISMATCH and first.is_refund_pending
    invoice = reloaded(invoice)
    assert invoice.status == Invoice.Status.PAID and invoice.paid_amount == Decimal("59.20")


def test_a_late_payment_leaves_the_hold_of_the_attempt_in_flight(online, parent, invoice):
    first = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])
    expired(first)
    second = payments.payment_start(guardian=parent, invoice_ids=[invoice.pk],
                                    now=first.created_at + ATTEMPT_HOLD + datetime.timedelta(minutes=2))
    pay(online, first, "R", notification="drop")

    payments.payments_reconcile(now=first.created_at + datetime.timedelta(minutes=25))

    assert reloaded(first).status == Payment.Status.REFUSED and reloaded(first).watch_until is None
    assert reloaded(second).status == Payment.Status.INITIATED
    assert reloaded(invoice).status == Invoice.Status.PAYMENT_IN_PROGRESS


# --- concurrency ---------------------------------------------------------------------------------
@pytest.mark.postgres
def test_two_simultaneous_starts_on_one_invoice_make_one_attempt(online, parent, invoice):
    def start():
        return payments.payment_start(guardian=parent, invoice_ids=[invoice.pk])

    results, errors = run_concurrently(start, start)
    outcomes = [o for o in results if o is not None] + errors
    started = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if isinstance(o, PaymentError)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert "paiement en cours" in str(refused[0])
    assert Payment.objects.count() == 1
    assert PayfipSimulatorOperation.objects.count() == 1

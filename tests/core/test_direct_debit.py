"""SEPA direct debit: mandates, pre-notified debits at issue, pain.008 files, confirmation and
rejects."""

import datetime
from decimal import Decimal

import pytest

from core.models import DebitBatch, DirectDebit, EmailLog, Invoice, InvoiceRun, Mandate, Payment
from core.services import direct_debit as dd
from core.services import mandates
from core.services.invoicing import invoice_run_issue
from tests import factories
from tests.core.test_invoice_balance import credit, make_invoice

NOW = datetime.datetime(2027, 1, 5, 9, 0, tzinfo=datetime.UTC)
PARENT_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
OTHER_BANK_IBAN = "FR7630001007941234567890185"
DEBIT_DAY = datetime.date(2027, 2, 10)


@pytest.fixture
def regie(town):
    regie = town.regie
    regie.sepa_creditor_id = "FR12ZZZ123456"
    regie.sepa_creditor_iban = "FR7630006000011234567890189"
    regie.sepa_creditor_bic = "AGRIFRPPXXX"
    regie.save()
    return regie


def active_mandate(family, regie, iban=PARENT_IBAN, **extra):
    mandate = mandates.mandate_request(
        guardian=family.parent, regie=regie, holder_name="Jean TEST", iban=iban, now=NOW - datetime.timedelta(days=30)
    )
    mandate = mandates.mandate_validate(mandate_id=mandate.pk, now=NOW - datetime.timedelta(days=20))
    Mandate.objects.filter(pk=mandate.pk).update(**extra)
    mandate.refresh_from_db()
    return mandate


def scheduled_invoice(family, regie, mandate, total="59.20", sequence=None):
    invoice = make_invoice(regie, family.household, total)
    DirectDebit.objects.create(invoice=invoice, mandate=mandate, amount=invoice.total, debit_date=DEBIT_DAY)
    return invoice


# --- mandates -----------------------------------------------------------------------------------
def test_mandate_request_validates_iban_derives_bic_and_gives_a_rum(family, regie):
    mandate = mandates.mandate_request(guardian=family.parent, regie=regie, holder_name=" Jean  TEST ", iban=PARENT_IBAN, now=NOW)
    assert mandate.status == Mandate.Status.PENDING
    assert mandate.iban == "FR1420041010050500013M02606"
    assert mandate.bic == "PSSTFRPP"
    assert mandate.holder_name == "Jean TEST"
    assert mandate.rum == f"RS-TEST-{mandate.pk:06d}"
    assert mandate.iban_masked == "FR14 •••• •••• 2606"


def test_mandate_request_refuses_an_invalid_iban(family, regie):
    with pytest.raises(mandates.MandateError, match="IBAN n'est pas valide"):
        mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban="FR1420041010050500013M02607")
    assert not Mandate.objects.exists()


def test_mandate_request_refuses_a_second_live_mandate(family, regie):
    active_mandate(family, regie)
    with pytest.raises(mandates.MandateError, match="existe déjà"):
        mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban=PARENT_IBAN)


def test_mandate_request_needs_a_regie_offering_direct_debit(family, town):
    with pytest.raises(mandates.MandateError, match="ne propose pas"):
        mandates.mandate_request(guardian=family.parent, regie=town.regie, holder_name="Jean", iban=PARENT_IBAN)


def test_parent_signs_online_when_the_regie_allows_it(family, regie):
    regie.sepa_parent_can_sign = True
    regie.save()
    with pytest.raises(mandates.MandateError, match="Cochez"):
        mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban=PARENT_IBAN, now=NOW)
    mandate = mandates.mandate_request(
        guardian=family.parent, regie=regie, holder_name="Jean", iban=PARENT_IBAN, sign_online=True, now=NOW
    )
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.signature == Mandate.Signature.ONLINE
    assert mandate.signed_on == datetime.date(2027, 1, 5)


def test_ticking_is_no_signature_when_the_regie_wants_paper(family, regie):
    mandate = mandates.mandate_request(
        guardian=family.parent, regie=regie, holder_name="Jean", iban=PARENT_IBAN, sign_online=True, now=NOW
    )
    assert mandate.status == Mandate.Status.PENDING


def test_amendment_keeps_the_rum_and_records_the_replaced_account(family, regie):
    mandate = active_mandate(family, regie, needs_first=False)
    amended = mandates.mandate_amend(
        mandate_id=mandate.pk, household=family.household, holder_name="Jean TEST", iban=PARENT_IBAN, now=NOW
    )
    assert amended.original_iban == ""  # same account: nothing to carry
    amended = mandates.mandate_amend(mandate_id=mandate.pk, household=family.household, holder_name="Jean TEST", iban=OTHER_BANK_IBAN, now=NOW)
    assert amended.rum == mandate.rum
    assert amended.original_iban == "FR1420041010050500013M02606"
    assert amended.iban == OTHER_BANK_IBAN
    assert amended.needs_first is True  # another bank: SMNDA, first debit again


def test_amendment_is_scoped_to_the_household(family, other_family, regie):
    mandate = active_mandate(family, regie)
    with pytest.raises(Mandate.DoesNotExist):
        mandates.mandate_amend(mandate_id=mandate.pk, household=other_family.household, holder_name="X", iban=OTHER_BANK_IBAN)


def test_revocation_cancels_awaited_debits_and_makes_the_invoice_payable(family, regie):
    mandate = active_mandate(family, regie)
    invoice = scheduled_invoice(family, regie, mandate)
    assert not invoice.is_payable
    mandates.mandate_revoke(mandate_id=mandate.pk, household=family.household, reason="Changement de banque", now=NOW)
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED
    assert "par la famille" in mandate.end_reason
    assert Invoice.objects.get(pk=invoice.pk).is_payable


def test_the_mandate_pdf_names_the_debtor_with_address_and_the_whole_iban(family, regie):
    from tests.core.test_invoicing import pdf_text_of

    mandate = mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean TEST", iban=PARENT_IBAN, now=NOW)
    from core.pdf import render_mandate_pdf

    text = pdf_text_of(render_mandate_pdf(mandate))
    assert f"Référence unique du mandat (RUM) : {mandate.rum}" in text and "FR12ZZZ123456" in text
    assert "Adresse du débiteur 8 rue des Écoles 59270 Valbourg" in text
    assert "FR14 2004 1010 0505 0001 3M02 606" in text
    assert "Signature" in text  # to sign on paper


def test_a_mandate_unused_for_36_months_lapses(family, regie):
    mandate = active_mandate(family, regie, last_debit_on=datetime.date(2024, 1, 4))
    fresh = active_mandate(factories_family(regie), regie, last_debit_on=datetime.date(2024, 1, 6))
    assert mandates.mandates_lapse(now=NOW) == [mandate.pk]
    mandate.refresh_from_db()
    fresh.refresh_from_db()
    assert mandate.status == Mandate.Status.LAPSED
    assert fresh.status == Mandate.Status.ACTIVE


def factories_family(regie):
    household = factories.HouseholdFactory(reference="DEUX", name="DEUX")
    parent = factories.ParentFactory(household=household, email="deux@example.org")

    class _F:
        pass

    f = _F()
    f.household, f.parent = household, parent
    return f


# --- pre-notification at issue ------------------------------------------------------------------
def test_debit_date_respects_the_notice_and_the_debit_day(regie):
    assert mandates.debit_date_for(regie=regie, issue_date=datetime.date(2027, 1, 5)) == DEBIT_DAY
    regie.sepa_notice_days = 2
    assert mandates.debit_date_for(regie=regie, issue_date=datetime.date(2027, 1, 5)) == datetime.date(2027, 1, 11)  # 10 is a Sunday


def test_issue_schedules_the_debit_of_households_under_direct_debit(family, other_family, regie, django_capture_on_commit_callbacks):
    mandate = active_mandate(family, regie)
    run = factories.InvoiceRunFactory(regie=regie, month=datetime.date(2026, 12, 1), status=InvoiceRun.Status.DRAFT)
    draft = dict(run=run, regie=regie, number="", sequence=None, status=Invoice.Status.DRAFT, issue_date=None, due_date=None, issued_at=None)
    mine = factories.InvoiceFactory(household=family.household, **draft)
    theirs = factories.InvoiceFactory(household=other_family.household, **draft)
    invoice_run_issue(run_id=run.pk, now=NOW)
    debit = DirectDebit.objects.get()
    assert debit.invoice_id == mine.pk and debit.mandate == mandate
    assert debit.amount == mine.total and debit.debit_date == DEBIT_DAY
    # A debited invoice falls due on its debit date, not 30 days after issue.
    assert Invoice.objects.get(pk=mine.pk).due_date == DEBIT_DAY
    assert Invoice.objects.get(pk=theirs.pk).due_date == datetime.date(2027, 2, 4)
    listed = {i.pk: i for i in Invoice.objects.with_balance()}
    assert listed[mine.pk].awaited_debit_date == DEBIT_DAY == Invoice.objects.get(pk=mine.pk).awaited_debit_date
    assert not listed[mine.pk].is_payable and not Invoice.objects.get(pk=mine.pk).is_payable
    assert listed[theirs.pk].is_payable


def test_a_pending_mandate_does_not_apply(family, regie):
    mandate = mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban=PARENT_IBAN, now=NOW)
    invoice = factories.InvoiceFactory(regie=regie, household=family.household)
    assert mandates.direct_debits_schedule(invoices=[invoice], issue_date=NOW.date(), now=NOW) == []
    assert mandate.status == Mandate.Status.PENDING


def test_invoice_pdf_and_email_carry_the_pre_notification(family, regie, settings, tmp_path):
    from django.template.loader import render_to_string

    from core.pdf import invoice_pdf_context
    from core.services.invoicing import invoice_send_available_email, invoice_store_pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    mandate = active_mandate(family, regie)
    invoice = scheduled_invoice(family, regie, mandate)
    Invoice.objects.filter(pk=invoice.pk).update(payer_email="parent@example.org")
    invoice = Invoice.objects.get(pk=invoice.pk)
    html = render_to_string("invoices/invoice.html", {**invoice_pdf_context(invoice), "town_name": "Ville", "site_url": ""})
    assert "seront prélevés le <strong>10/02/2027</strong>" in html
    assert mandate.rum in html and "FR12ZZZ123456" in html
    assert "Comment payer" not in html
    invoice_store_pdf(invoice_id=invoice.pk)
    invoice_send_available_email(invoice_id=invoice.pk, now=NOW)
    log = EmailLog.objects.get(kind="invoice_available")
    assert "59,20 € seront prélevés le 10/02/2027" in log.body_text
    assert "régler en ligne" not in log.body_text


def test_invoice_without_direct_debit_keeps_the_card_payment_text(family, regie):
    from django.template.loader import render_to_string

    from core.pdf import invoice_pdf_context

    invoice = factories.InvoiceFactory(regie=regie, household=family.household)
    html = render_to_string("invoices/invoice.html", {**invoice_pdf_context(invoice), "town_name": "Ville", "site_url": ""})
    assert "Comment payer" in html and "prélevés" not in html


# --- files --------------------------------------------------------------------------------------
def test_batch_file_validates_with_one_block_per_sequence_type(family, other_family, regie):
    first = active_mandate(family, regie)
    recurring = active_mandate(other_family, regie, needs_first=False, iban=OTHER_BANK_IBAN)
    one = scheduled_invoice(family, regie, first)
    two = scheduled_invoice(other_family, regie, recurring, total="12.00")
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)
    content = batch.file.read()
    dd.pain008_validate(content)
    text = content.decode()
    assert text.count("<PmtInf>") == 2
    assert "<SeqTp>FRST</SeqTp>" in text and "<SeqTp>RCUR</SeqTp>" in text
    assert "<CdtrSchmeId>" in text and "FR12ZZZ123456" in text
    assert first.rum in text and recurring.rum in text
    assert "<ReqdColltnDt>2027-02-10</ReqdColltnDt>" in text
    assert batch.debit_count == 2 and batch.total == Decimal("71.20")
    assert {d.sequence_type for d in batch.debits.all()} == {"FRST", "RCUR"}
    assert one.pk != two.pk


def test_batch_file_carries_an_amendment_and_still_validates(family, regie):
    mandate = active_mandate(family, regie, needs_first=False)
    mandates.mandate_amend(mandate_id=mandate.pk, holder_name="Jean TEST", iban="FR1420041010050500013M02606", now=NOW)
    Mandate.objects.filter(pk=mandate.pk).update(original_iban="FR1420041010050500013M02606", iban="FR1420041010050500013M02606")
    scheduled_invoice(family, regie, mandate)
    text = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW).file.read().decode()
    assert "<AmdmntInd>true</AmdmntInd>" in text and "<OrgnlDbtrAcct>" in text
    mandates.mandate_amend(mandate_id=mandate.pk, holder_name="Jean TEST", iban=OTHER_BANK_IBAN, now=NOW)
    Mandate.objects.filter(pk=mandate.pk).update(status=Mandate.Status.ACTIVE)
    invoice = make_invoice(regie, family.household, "59.20")
    DirectDebit.objects.create(invoice=invoice, mandate=mandate, amount=invoice.total, debit_date=DEBIT_DAY)
    content = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW).file.read()
    dd.pain008_validate(content)
    assert b"SMNDA" in content and b"<SeqTp>FRST</SeqTp>" in content


def test_batch_skips_settled_invoices_and_debits_what_is_left(family, regie):
    mandate = active_mandate(family, regie)
    invoice = scheduled_invoice(family, regie, mandate, total="50.00")
    credit(invoice, "20.00")
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)
    assert batch.debits.get().amount == Decimal("30.00")


def test_no_batch_without_debits(regie):
    with pytest.raises(dd.DirectDebitError, match="Aucun prélèvement"):
        dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)


def test_sent_then_confirmed_batch_pays_its_invoices(family, regie):
    mandate = active_mandate(family, regie)
    invoice = scheduled_invoice(family, regie, mandate)
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)
    dd.debit_batch_mark_sent(batch_id=batch.pk, now=NOW)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DIRECT_DEBIT_IN_PROGRESS
    assert invoice.get_status_display() == "Prélèvement en cours"
    assert invoice in Invoice.objects.open()
    mandate.refresh_from_db()
    assert mandate.needs_first is False and mandate.last_debit_on == DEBIT_DAY
    dd.debit_batch_confirm(batch_id=batch.pk, now=NOW)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.DIRECT_DEBIT and payment.amount == invoice.total
    assert DebitBatch.objects.get().status == DebitBatch.Status.CONFIRMED
    with pytest.raises(dd.DirectDebitError):
        dd.debit_batch_confirm(batch_id=batch.pk, now=NOW)


# --- rejects ------------------------------------------------------------------------------------
def _sent_debit(family, regie, mandate, total="59.20"):
    invoice = scheduled_invoice(family, regie, mandate, total=total)
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY, now=NOW)
    dd.debit_batch_mark_sent(batch_id=batch.pk, now=NOW)
    return invoice, batch, batch.debits.get()


def test_a_reject_makes_the_invoice_payable_by_card_and_tells_the_family(family, regie):
    regie.sepa_reject_fee = Decimal("3.50")
    regie.save()
    mandate = active_mandate(family, regie)
    invoice, batch, debit = _sent_debit(family, regie, mandate)
    invoice.payer_email = "parent@example.org"
    Invoice.objects.filter(pk=invoice.pk).update(payer_email="parent@example.org")
    dd.direct_debit_reject(debit_id=debit.pk, code="AM04", now=NOW)
    invoice = Invoice.objects.with_balance().get(pk=invoice.pk)
    assert invoice.status == Invoice.Status.UNPAID
    assert invoice.is_payable
    debit.refresh_from_db()
    assert debit.status == DirectDebit.Status.REJECTED and debit.reject_fee == Decimal("3.50")
    log = EmailLog.objects.get(kind="direct_debit_rejected")
    assert log.recipient == "parent@example.org"
    assert "Motif : Provision insuffisante (AM04)" in log.body_text
    assert "frais de rejet de 3,50 € s'appliquent : ils figureront sur votre prochaine facture" in log.body_text
    assert "de nouveau à payer (59,20 €)" in log.body_text
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE and mandate.reject_count == 1


def test_a_reject_after_confirmation_refuses_the_payment(family, regie):
    mandate = active_mandate(family, regie)
    invoice, batch, debit = _sent_debit(family, regie, mandate)
    dd.debit_batch_confirm(batch_id=batch.pk, now=NOW)
    dd.direct_debit_reject(debit_id=debit.pk, code="MD06", now=NOW)
    invoice = Invoice.objects.with_balance().get(pk=invoice.pk)
    assert invoice.status == Invoice.Status.UNPAID and invoice.balance == invoice.total and invoice.is_payable
    assert Payment.objects.get().status == Payment.Status.REFUSED


def test_the_mandate_is_suspended_after_the_regies_number_of_rejects(family, regie):
    regie.sepa_max_rejects = 2
    regie.save()
    mandate = active_mandate(family, regie)
    _, _, debit = _sent_debit(family, regie, mandate)
    dd.direct_debit_reject(debit_id=debit.pk, code="AC04", now=NOW)
    _, _, debit = _sent_debit(family, regie, mandate)
    waiting = scheduled_invoice(family, regie, mandate)
    dd.direct_debit_reject(debit_id=debit.pk, code="MS02", now=NOW)
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.SUSPENDED
    assert Invoice.objects.get(pk=waiting.pk).is_payable


def test_unknown_reject_code_is_refused(family, regie):
    mandate = active_mandate(family, regie)
    _, _, debit = _sent_debit(family, regie, mandate)
    with pytest.raises(dd.DirectDebitError, match="inconnu"):
        dd.direct_debit_reject(debit_id=debit.pk, code="XX99", now=NOW)


def test_reject_reasons_are_french():
    assert dd.REJECT_REASONS["AC04"] == "Compte clôturé"
    assert dd.REJECT_REASONS["MD01"] == "Pas de mandat"


def test_a_regie_may_have_sent_batches_confirmed_on_their_date(family, other_family, regie, town):
    mandate = active_mandate(family, regie)
    invoice, batch, _ = _sent_debit(family, regie, mandate)
    assert dd.debit_batches_confirm_due(now=NOW) == []  # staff confirm by default
    regie.sepa_auto_confirm = True
    regie.save()
    before = datetime.datetime(2027, 2, 9, 12, 0, tzinfo=datetime.UTC)
    assert dd.debit_batches_confirm_due(now=before) == []  # not before its debit date
    on_the_day = datetime.datetime(2027, 2, 10, 6, 0, tzinfo=datetime.UTC)
    assert dd.debit_batches_confirm_due(now=on_the_day) == [batch.pk]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID

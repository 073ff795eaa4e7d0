"""Factures et paiements in Chromium: select the memo's 59,20 € invoice → Payer → the PayFiP
simulator → pay → back to the portal → archived → ticket email; refused, abandoned, and a lost
notification recovered by the reconciliation schedule."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.models import Invoice, Payment
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, log_in, screenshot
from playwright.sync_api import expect

RETURN = re.compile(r"/paiements/[0-9a-f-]{36}/retour/\?idop=")


@pytest.fixture
def invoice(family, town, live_server, settings, transactional_db, media_root):
    settings.SITE_URL = live_server.url
    invoice = factories.InvoiceFactory(
        regie=town.regie, household=family.household, total=Decimal("59.20"), payer_name="M TEST Deux",
        due_date=timezone.localdate() + datetime.timedelta(days=1),
        period_start=datetime.date(2026, 12, 1), period_end=datetime.date(2026, 12, 31),
    )
    return factories.attach_pdf(invoice)


def select_and_pay(page, invoice, device="desktop"):
    log_in(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Factures et paiements").click()
    card = page.locator(f"#facture-{invoice.pk}")
    expect(card.get_by_text("1 JOUR AVANT ÉCHÉANCE")).to_be_visible()
    expect(card.get_by_text("59,20 €")).to_be_visible()
    expect(card.get_by_role("heading", name=f"N° {invoice.number}")).to_be_visible()
    screenshot(page, f"payments-invoices-{device}")
    assert_no_serious_axe_violations(page)

    card.get_by_role("button", name=re.compile("^Sélectionner")).click()
    basket = page.locator("#panier")
    expect(basket.get_by_text("Total à payer : 59,20 €")).to_be_visible()
    expect(basket.get_by_text(f"Facture n° {invoice.number}")).to_be_visible()
    expect(basket.get_by_role("button", name="Vider le panier")).to_be_visible()
    screenshot(page, f"payments-basket-{device}")
    assert_no_serious_axe_violations(page)
    basket.get_by_role("button", name="Payer").click()
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    expect(page.get_by_text(invoice.number).first).to_be_visible()


def pay_by_card(page, outcome, notification):
    page.get_by_role("button", name="Payer par carte bancaire").click()
    page.get_by_label("Numéro de carte").fill("4970 1000 0000 0003")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label(outcome).check()  # the label ends with its code (P, R…)
    page.get_by_label(notification, exact=True).check()
    page.get_by_role("button", name="Valider").click()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_parent_pays_the_memo_invoice_and_gets_the_ticket(request, device, invoice):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    select_and_pay(page, invoice, device)
    pay_by_card(page, "Payé par carte", "Envoyer la notification deux fois")

    page.wait_for_url(RETURN)
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    screenshot(page, f"payments-return-paid-{device}")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Voir mes factures archivées").click()
    archived = page.locator(f"#facture-{invoice.pk}")
    expect(archived.get_by_text("PAYÉE")).to_be_visible()
    screenshot(page, f"payments-archived-{device}")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Factures en cours").click()
    expect(page.get_by_text("Aucune facture en attente de paiement.")).to_be_visible()

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert payment.events.filter(kind="notification").count() == 2  # the duplicate changed nothing
    [ticket] = mail.outbox
    assert ticket.subject == "Ticket de paiement — 59,20 €" and invoice.number in ticket.body
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_a_refused_card_emails_the_failure_and_the_invoice_is_payable_again(page, invoice):
    select_and_pay(page, invoice)
    pay_by_card(page, "Carte refusée", "Envoyer la notification")
    page.wait_for_url(RETURN)
    expect(page.get_by_role("heading", name="Le paiement n'a pas abouti")).to_be_visible()
    expect(page.get_by_text("(refusé)")).to_be_visible()
    screenshot(page, "payments-return-refused")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Retour à mes factures").click()
    expect(page.locator(f"#facture-{invoice.pk}").get_by_role("button", name=re.compile("^Sélectionner"))).to_be_visible()
    assert [m.subject for m in mail.outbox] == ["Échec de votre paiement en ligne"]


def test_an_abandoned_payment_comes_back_unpaid(page, invoice):
    select_and_pay(page, invoice)
    page.get_by_role("button", name="Annuler").click()
    page.wait_for_url(RETURN)
    expect(page.get_by_text("(abandonné)")).to_be_visible()
    assert Payment.objects.get().status == Payment.Status.ABANDONED
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.UNPAID


def test_a_lost_notification_is_recovered_by_the_schedule(page, invoice):
    select_and_pay(page, invoice)
    # The parent closes the tab on PayFiP's receipt: the browser never comes back, the notification is lost.
    # (Playwright cannot intercept a redirect's target: let PayFiP record the choice, then stop there.)
    concluded = []

    def pay_then_close(route):
        concluded.append(route.fetch(max_redirects=0).status)
        route.abort()

    page.route("**/simulateur-payfip/paiement/resultat", pay_then_close)
    with pytest.raises(Exception):  # the navigation is aborted
        pay_by_card(page, "Payé par carte", "Perdre la notification")
        page.wait_for_url(RETURN, timeout=2_000)
    assert concluded == [302]
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.INITIATED
    page.unroute("**/simulateur-payfip/paiement/resultat")

    page.goto("/factures/")
    expect(page.locator(f"#facture-{invoice.pk}").get_by_text("Paiement en cours").first).to_be_visible()
    screenshot(page, "payments-invoice-in-flight")
    assert_no_serious_axe_violations(page)

    from core.tasks import reconcile_payments

    assert reconcile_payments() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    page.goto("/factures/archivees/")
    expect(page.locator(f"#facture-{invoice.pk}").get_by_text("PAYÉE")).to_be_visible()
    assert [m.subject for m in mail.outbox] == ["Ticket de paiement — 59,20 €"]


def test_the_basket_works_with_the_keyboard(page, invoice):
    log_in(page)
    page.goto("/factures/")
    button = page.locator(f"#facture-{invoice.pk}").get_by_role("button", name=re.compile("^Sélectionner"))
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/factures/#selection-facture-"))
    expect(page.locator("#panier").get_by_text("Total à payer : 59,20 €")).to_be_visible()
    page.locator("#panier").get_by_role("button", name="Vider le panier").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/factures/#panier-titre"))
    expect(page.locator("#panier").get_by_text("Aucune facture sélectionnée")).to_be_visible()

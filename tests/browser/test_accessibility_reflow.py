"""RGAA 10.11: every page of the portal reflows at 320 px CSS width (a 1280 px screen zoomed to
400 %, or a small phone) without horizontal scrolling, logged in and logged out.

The pages come from the portal's URL names: a new page fails this test until it is listed here."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import signing
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.models import Payment
from core.services import accounts
from core.services.messages import conversation_start
from core.services import basket as basket_service
from core.services.deadlines import PARIS
from core.services.mandates import mandate_request
from portail import urls as portail_urls
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, fill_login, log_in, screenshot

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)  # Thursday 3 December is open
NARROW = {"width": 320, "height": 640}
ZOOMED_LAPTOP = {"width": 640, "height": 400}  # 1280 × 800 at 200 %

LOGGED_OUT_PAGES = {
    "login", "password_reset", "password_reset_done", "activate", "password_reset_confirm", "family_account_request",
    "family_account_request_done", "accessibility", "legal_notice", "privacy", "sitemap",
}
LOGGED_IN_PAGES = {
    "home", "reservations", "enrolments", "period", "leisure", "model_week", "absences", "household", "contact_edit", "invoices",
    "archived_invoices", "payment_return", "password_change", "email_change", "email_change_confirm", "direct_debit",
    "messages", "message_new", "message_thread", "enrolment_request", "attestations", "absence_certificate",
}
NOT_PAGES = {  # POST endpoints, PDF and file downloads, PayFiP's server-to-server notification, the calendar feed
    "calendar_feed_manage", "calendar_feed",
    "basket_change", "basket_clear", "basket_validate", "invoice_basket_change", "pay", "logout", "invoice_pdf",
    "payment_notification", "mandate_create", "mandate_change", "mandate_cancel", "mandate_pdf",
    "waiting_list_join", "waiting_list_leave",
    "enrolment_start", "document_file", "tax_certificate", "message_attachment",
}


pytestmark = pytest.mark.usefixtures("frozen_now")


def portal_url_names():
    return {pattern.name for pattern in portail_urls.urlpatterns if pattern.name}


def test_every_portal_url_name_is_classified():
    assert portal_url_names() == LOGGED_OUT_PAGES | LOGGED_IN_PAGES | NOT_PAGES


@pytest.fixture
def narrow_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=NARROW, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def page_urls(family, town):
    """One URL per page name, with whatever the page needs (an invoice, a payment, tokens)."""
    parent = family.parent
    invoice = factories.InvoiceFactory(regie=town.regie, household=family.household, total=Decimal("59.20"))
    payment = factories.PaymentFactory(household=family.household, regie=town.regie, status=Payment.Status.PAID)
    payment.allocations.create(invoice=invoice, amount=invoice.total)
    town.regie.sepa_creditor_id, town.regie.sepa_creditor_iban = "FR12ZZZ123456", "FR7630006000011234567890189"
    town.regie.save()
    mandate_request(guardian=parent, regie=town.regie, holder_name="Jean TEST", iban="FR1420041010050500013M02606")
    newcomer = factories.GuardianFactory(household=family.household, email="nouveau@example.org", user=None)
    user = parent.user
    token = signing.dumps({"g": parent.pk, "from": parent.email, "to": "nouvelle@example.org"}, salt=accounts.EMAIL_CHANGE_SALT)
    from core.services.enrolment_requests import request_start

    campaign = factories.enrolment_campaign(town, opens_at=NOW - datetime.timedelta(days=1),
                                            closes_at=NOW + datetime.timedelta(days=30))
    enrolment_request = request_start(campaign=campaign, child=family.children[0], guardian=parent, now=NOW)
    conversation = conversation_start(guardian=parent, subject="factures", title="Facture de novembre",
                                      body="Bonjour, pouvez-vous m'envoyer le détail de la facture ?")
    from core.models import AbsenceDeclaration, AbsenceReason

    declaration = AbsenceDeclaration.objects.create(
        child=family.children[0], start=NOW.date(), end=NOW.date(), declared_at=NOW, declared_by=user,
        reason=AbsenceReason.objects.get_or_create(label="Maladie")[0], certificate_required=True,
        certificate_due=NOW.date() + datetime.timedelta(days=7),
    )
    args = {
        "absence_certificate": [declaration.pk],
        "enrolment_request": [enrolment_request.pk],
        "message_thread": [conversation.pk],
        "payment_return": [payment.uuid],
        "activate": [urlsafe_base64_encode(force_bytes(newcomer.pk)), accounts.activation_token_generator.make_token(newcomer)],
        "password_reset_confirm": [urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
        "email_change_confirm": [token],
    }
    return {name: reverse(f"portail:{name}", args=args.get(name, [])) for name in LOGGED_OUT_PAGES | LOGGED_IN_PAGES}


def horizontal_scroll(page, name):
    """None when the page fits the width; else what sticks out."""
    width = page.viewport_size["width"]
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    if "{#" in page.content():
        return f"{name}: a template comment shows in the page"
    if widths[0] > width or widths[1] > width:
        return f"{name} at {width} px: {widths} {wide}"
    return None


def test_every_portal_page_reflows_at_320_px(narrow_page, family, town, transactional_db):
    page = narrow_page
    urls = page_urls(family, town)
    too_wide = []
    for name in sorted(LOGGED_OUT_PAGES):
        page.goto(urls[name])
        too_wide.append(horizontal_scroll(page, name))
        if name == "login":
            screenshot(page, "reflow-320-login")
        page.set_viewport_size(ZOOMED_LAPTOP)
        too_wide.append(horizontal_scroll(page, name))
        page.set_viewport_size(NARROW)
    # The login page with its error summary.
    page.goto(urls["login"])
    fill_login(page, password="pas le bon")
    page.locator("#erreurs-formulaire").wait_for()
    too_wide.append(horizontal_scroll(page, "login with an error"))

    log_in(page)
    junior, lise = family.children
    for child, activity in ((junior, town.repas_maternelle), (lise, town.garderie_soir)):  # basket lines
        basket_service.basket_add(guardian=family.parent, child=child, activity=activity, day=datetime.date(2026, 12, 3), action="book")
    for name in sorted(LOGGED_IN_PAGES):
        page.goto(urls[name])
        assert page.url.endswith(urls[name]) or name == "email_change_confirm", f"{name} redirected to {page.url}"
        too_wide.append(horizontal_scroll(page, name))
        screenshot(page, f"reflow-320-{name}")
        assert_no_serious_axe_violations(page)
        page.set_viewport_size(ZOOMED_LAPTOP)
        too_wide.append(horizontal_scroll(page, name))
        page.set_viewport_size(NARROW)
    # The week after « Valider le panier », with its report.
    page.goto(urls["reservations"])
    page.get_by_role("button", name="Valider le panier").click()
    page.wait_for_url(re.compile(r"#bilan$"))
    too_wide.append(horizontal_scroll(page, "reservations with the validation report"))
    screenshot(page, "reflow-320-reservations-validated")
    assert not [problem for problem in too_wide if problem]

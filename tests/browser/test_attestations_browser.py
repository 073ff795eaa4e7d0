"""« Attestations » and a handed-over invoice in Chromium: the parent downloads last year's tax
certificate, asks for a period attestation and reads its French errors; axe-clean, and the
page reflows at 320 px."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Invoice
from core.services.handover import handover_create
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_portal_pages import log_in
from tests.core.test_certificates import invoice_with, pay


@pytest.fixture
def paid_last_year(family, town, live_server, settings, transactional_db, tmp_path):
    """Junior (under six) had childcare paid last year: 10,00 €; meals paid too, not counted."""
    settings.MEDIA_ROOT = tmp_path / "media"
    last_year = timezone.localdate().year - 1
    junior = family.children[0]
    junior.birth_date = datetime.date(last_year - 3, 5, 2)
    junior.save()
    days = [datetime.date(last_year, 3, d) for d in (2, 3, 5)]
    invoice = invoice_with(town.regie, family.household, [
        (junior, town.repas_maternelle, days, "30.00"), (junior, town.garderie_soir, days, "10.00"),
    ])
    pay(invoice, "40.00", datetime.date(last_year, 3, 20))
    return last_year


def test_the_parent_gets_the_tax_certificate_and_a_period_attestation(page, paid_last_year):
    log_in(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Factures et paiements").click()
    page.get_by_role("navigation", name="Factures").get_by_role("link", name="Attestations").click()
    expect(page.get_by_role("heading", name="Factures et paiements", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"10,00 € versés"))).to_be_visible()
    screenshot(page, "portal-attestations")
    assert_no_serious_axe_violations(page)

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(f"Télécharger l'attestation fiscale {paid_last_year}")).click()
    assert download.value.suggested_filename == f"attestation-fiscale-{paid_last_year}.pdf"

    page.get_by_label("Attestation de présence").check()
    page.get_by_label("Du").fill(f"{paid_last_year}-04-01")
    page.get_by_label("Au (inclus)").fill(f"{paid_last_year}-03-01")
    page.get_by_role("button", name="Télécharger l'attestation (PDF)").click()
    end = page.get_by_label("Au (inclus)")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("La date de fin doit suivre la date de début.")).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_label("Du").fill(f"{paid_last_year}-03-01")
    end.fill(f"{paid_last_year}-03-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger l'attestation (PDF)").click()
    assert download.value.suggested_filename.startswith("attestation-presence-")


def test_attestations_reflow_at_320_px(chromium, live_server, paid_last_year):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 320, "height": 640}, locale="fr-FR")
    page = context.new_page()
    try:
        log_in(page)
        page.goto("/factures/attestations/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        screenshot(page, "portal-attestations-320")
    finally:
        context.close()


def test_a_handed_over_invoice_says_where_to_pay(page, family, town, regisseur, paid_last_year):
    town.regie.public_accountant = "Service de gestion comptable de Valbourg\n2 rue du Trésor, 59270 Valbourg"
    town.regie.save()
    overdue = invoice_with(town.regie, family.household, [(family.children[0], town.repas_maternelle,
                                                            [datetime.date(paid_last_year, 4, 1)], "3.70")])
    Invoice.objects.filter(pk=overdue.pk).update(due_date=datetime.date(paid_last_year, 5, 1))
    handover_create(invoice_ids=[overdue.pk], by=regisseur)
    log_in(page)
    page.goto("/factures/")
    card = page.locator(f"#facture-{overdue.pk}")
    expect(card.get_by_text("Transmise au Trésor public")).to_be_visible()
    expect(card.get_by_text("Service de gestion comptable de Valbourg")).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("Sélectionner"))).to_have_count(0)
    screenshot(page, "portal-invoice-handed-over")
    assert_no_serious_axe_violations(page)

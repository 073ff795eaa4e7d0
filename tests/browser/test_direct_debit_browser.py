"""A parent sets up direct debit in Chromium: a wrong IBAN refused beside its field, the mandate
signed by ticking, its account shown masked; axe clean, and usable at 320 px."""

import pytest
from playwright.sync_api import expect

from core.models import Mandate
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_portal_pages import log_in


@pytest.fixture
def regie(town):
    regie = town.regie
    regie.sepa_creditor_id, regie.sepa_creditor_iban, regie.sepa_creditor_bic = (
        "FR12ZZZ123456", "FR7630006000011234567890189", "AGRIFRPPXXX",
    )
    regie.sepa_parent_can_sign = True
    regie.save()
    return regie


def test_a_parent_sets_up_direct_debit(page, family, regie, transactional_db):
    log_in(page)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Factures et paiements").click()
    page.get_by_role("navigation", name="Factures").get_by_role("link", name="Prélèvement automatique").click()
    expect(page.get_by_role("heading", name="Demander le prélèvement automatique")).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_label("Titulaire du compte").fill("Jean TEST")
    iban = page.get_by_label("IBAN")
    iban.fill("FR14 2004 1010 0505 0001 3M02 607")
    page.get_by_label("J'autorise la régie").check()
    page.get_by_role("button", name="Demander le prélèvement").click()
    expect(page.get_by_text("Cet IBAN n'est pas valide")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "direct-debit-invalid-iban")
    assert_no_serious_axe_violations(page)

    page.get_by_label("IBAN").fill("FR14 2004 1010 0505 0001 3M02 606")
    page.get_by_label("J'autorise la régie").check()
    page.get_by_role("button", name="Demander le prélèvement").click()
    mandate = Mandate.objects.get(household=family.household)
    expect(page.get_by_role("heading", name=f"Mandat {mandate.rum}")).to_be_visible()
    expect(page.get_by_text("FR14 •••• •••• 2606")).to_be_visible()
    expect(page.get_by_text("Actif", exact=True)).to_be_visible()
    assert mandate.status == Mandate.Status.ACTIVE
    screenshot(page, "direct-debit-active")
    assert_no_serious_axe_violations(page)

    page.set_viewport_size({"width": 320, "height": 700})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow}px of horizontal scroll at 320 px"
    screenshot(page, "direct-debit-320")

"""The PayFiP simulator's pages in Chromium: the parent's path from the debt to the return."""

import pytest

from core.payfip import Outcome, get_backend
from tests import factories
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from playwright.sync_api import expect


@pytest.fixture
def started(live_server, settings, transactional_db, payfip_receiver):
    settings.SITE_URL = live_server.url
    settings.PAYFIP_SAISIE = "T"
    regie = factories.RegieFactory(name="Régie de la restauration scolaire", invoice_prefix="RS", payfip_numcli="012345")
    backend = get_backend(regie=regie)
    created = backend.create_payment(
        refdet="RS2026000123",
        montant=5920,
        mel="parent@example.org",
        objet="Facture RS-2026-000123",
        urlnotif=f"{payfip_receiver.url}/notif",
        urlredirect=f"{payfip_receiver.url}/retour",
    )
    return backend, created


def test_parent_pays_by_card_and_comes_back(page, started, payfip_receiver):
    backend, created = started
    page.goto(created.payment_url)
    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    for text in ("RS2026000123", "59,20 €", "parent@example.org"):
        expect(page.get_by_text(text).first).to_be_visible()
    screenshot(page, "payfip-simulator-debt")
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Payer par carte bancaire").click()
    expect(page.get_by_role("heading", name="Informations de la carte")).to_be_visible()
    expect(page.get_by_text("Régie 012345")).to_be_visible()  # the simulator reads no régie of the site
    page.get_by_label("Numéro de carte").fill("4970 1000 0000 0003")
    page.get_by_label("Cryptogramme visuel").fill("123")
    page.get_by_label("Payé par carte").check()
    page.get_by_label("Envoyer la notification deux fois").check()
    screenshot(page, "payfip-simulator-card")
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Valider").click()

    page.wait_for_url(f"{payfip_receiver.url}/retour?idop={created.idop}")
    assert [n.form["idop"] for n in payfip_receiver.notifications()] == [created.idop, created.idop]
    detail = backend.get_payment_detail(created.idop)
    assert detail.outcome == Outcome.PAID and detail.montant == 5920


def test_parent_cancels_on_the_debt_page(page, started, payfip_receiver):
    backend, created = started
    page.goto(created.payment_url)
    page.get_by_role("button", name="Annuler").click()
    page.wait_for_url(f"{payfip_receiver.url}/retour?idop={created.idop}")
    assert backend.get_payment_detail(created.idop).outcome == Outcome.ABANDONED
    assert len(payfip_receiver.notifications()) == 1


def test_card_refused_on_a_phone(phone_page, started, payfip_receiver):
    backend, created = started
    phone_page.goto(created.payment_url)
    phone_page.get_by_role("button", name="Payer par carte bancaire").click()
    phone_page.get_by_label("Carte refusée").check()
    screenshot(phone_page, "payfip-simulator-card-phone")
    phone_page.get_by_role("button", name="Valider").click()
    phone_page.wait_for_url(f"{payfip_receiver.url}/retour?idop={created.idop}")
    assert backend.get_payment_detail(created.idop).outcome == Outcome.REFUSED
    phone_page.goto(created.payment_url)
    expect(phone_page.get_by_role("heading", name="Opération déjà traitée")).to_be_visible()

"""Factures et paiements → Prélèvement automatique: the request, the masked account, amendments,
revocation, and invoices awaiting their debit not offered for card payment."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import DirectDebit, Invoice, Mandate
from core.services import direct_debit as dd
from core.services import mandates
from tests import factories

IBAN = "FR14 2004 1010 0505 0001 3M02 606"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def regie(town):
    regie = town.regie
    regie.sepa_creditor_id, regie.sepa_creditor_iban, regie.sepa_creditor_bic = (
        "FR12ZZZ123456", "FR7630006000011234567890189", "AGRIFRPPXXX",
    )
    regie.save()
    return regie


@pytest.fixture
def parent_client(client, family):
    client.force_login(family.user)
    return client


def test_the_page_offers_the_request_form(parent_client, regie):
    response = parent_client.get(reverse("portail:direct_debit"))
    assert response.status_code == 200
    text = response.text
    assert text.count("<h1") == 1
    assert 'aria-current="page">Prélèvement automatique' in text
    assert "Titulaire du compte" in text and "IBAN" in text
    assert "signe le mandat en cochant" not in text  # paper signature by default


def test_an_invalid_iban_is_refused_beside_the_field(parent_client, regie):
    response = parent_client.post(
        reverse("portail:mandate_create"), {"regie": regie.pk, "holder_name": "Jean TEST", "iban": "FR14 2004 1010 0505 0001 3M02 607"}
    )
    assert response.status_code == 400
    text = response.text
    assert "Cet IBAN n&#x27;est pas valide" in text or "Cet IBAN n'est pas valide" in text
    assert 'aria-invalid="true"' in text and "aria-describedby" in text
    assert not Mandate.objects.exists()


def test_a_request_creates_a_pending_mandate_shown_masked(parent_client, family, regie):
    response = parent_client.post(reverse("portail:mandate_create"), {"regie": regie.pk, "holder_name": "Jean TEST", "iban": IBAN})
    assert response.status_code == 302
    mandate = Mandate.objects.get(household=family.household)
    assert mandate.status == Mandate.Status.PENDING
    text = parent_client.get(reverse("portail:direct_debit")).text
    assert mandate.rum in text and "FR14 •••• •••• 2606" in text
    assert "FR1420041010050500013M02606" not in text
    assert "En attente de validation" in text
    pdf = parent_client.get(reverse("portail:mandate_pdf", args=[mandate.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_ticking_signs_when_the_regie_allows_it(parent_client, family, regie):
    regie.sepa_parent_can_sign = True
    regie.save()
    assert "signe le mandat en cochant" in parent_client.get(reverse("portail:direct_debit")).text
    response = parent_client.post(reverse("portail:mandate_create"), {"regie": regie.pk, "holder_name": "Jean", "iban": IBAN})
    assert response.status_code == 400 and "Cochez la case" in response.text
    response = parent_client.post(
        reverse("portail:mandate_create"), {"regie": regie.pk, "holder_name": "Jean", "iban": IBAN, "sign": "on"}
    )
    assert response.status_code == 302
    assert Mandate.objects.get(household=family.household).status == Mandate.Status.ACTIVE


def test_change_of_account_and_revocation(parent_client, family, regie):
    mandate = mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban=IBAN)
    response = parent_client.post(
        reverse("portail:mandate_change", args=[mandate.pk]),
        {f"m{mandate.pk}-holder_name": "Jeanne TEST", f"m{mandate.pk}-iban": "DE89 3704 0044 0532 0130 00"},
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.holder_name, mandate.iban) == ("Jeanne TEST", "DE89370400440532013000")
    response = parent_client.post(reverse("portail:mandate_cancel", args=[mandate.pk]), {"motif": "Déménagement"})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED and "Déménagement" in mandate.end_reason


def _debited_invoice(family, regie):
    mandate = mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean", iban=IBAN)
    mandates.mandate_validate(mandate_id=mandate.pk)
    invoice = factories.InvoiceFactory(regie=regie, household=family.household, total=Decimal("59.20"))
    DirectDebit.objects.create(invoice=invoice, mandate=mandate, amount=invoice.total, debit_date=datetime.date(2027, 2, 10))
    return invoice


def test_an_invoice_awaiting_its_debit_is_not_offered_for_card_payment(parent_client, family, regie):
    invoice = _debited_invoice(family, regie)
    text = parent_client.get(reverse("portail:invoices")).text
    assert "Cette facture sera prélevée le 10/02/2027" in text
    assert f"Sélectionner<span class=\"visually-hidden\"> la facture n° {invoice.number}" not in text
    response = parent_client.post(reverse("portail:invoice_basket_change"), {"invoice": invoice.pk, "action": "ajouter"})
    assert response.status_code == 302
    assert parent_client.session.get("invoice_basket", []) == []


def test_a_rejected_debit_makes_the_invoice_selectable_again(parent_client, family, regie):
    invoice = _debited_invoice(family, regie)
    batch = dd.debit_batch_create(regie=regie, debit_date=datetime.date(2027, 2, 10))
    dd.debit_batch_mark_sent(batch_id=batch.pk)
    assert "Prélèvement en cours" in parent_client.get(reverse("portail:invoices")).text
    dd.direct_debit_reject(debit_id=batch.debits.get().pk, code="AM04")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.UNPAID
    text = parent_client.get(reverse("portail:invoices")).text
    assert f"Sélectionner<span class=\"visually-hidden\"> la facture n° {invoice.number}" in text
    parent_client.post(reverse("portail:invoice_basket_change"), {"invoice": invoice.pk, "action": "ajouter"})
    assert parent_client.session["invoice_basket"] == [invoice.pk]

"""Hand-over in the admin: the régisseur confirms, the batch page gives the spreadsheet and the
ZIP; a gestionnaire cannot hand over; the parent's portal says where to pay now."""

import datetime

import pytest
from django.urls import reverse

from core.models import HandoverBatch, Invoice
from core.services.handover import handover_create
from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def overdue(town, family):
    return factories.InvoiceFactory(regie=town.regie, household=family.household, due_date=datetime.date(2000, 1, 31))


def post_action(client, invoice, **extra):
    return client.post(
        reverse("admin:core_invoice_changelist"), {"action": "handover", "_selected_action": [invoice.pk], **extra}
    )


def test_the_regisseur_confirms_then_hands_over(client, regisseur, overdue):
    client.force_login(regisseur)
    confirm = post_action(client, overdue)
    assert confirm.status_code == 200 and 'id="handover-invoices"' in confirm.text and "59,20" in confirm.text
    assert Invoice.objects.get(pk=overdue.pk).status == Invoice.Status.UNPAID  # nothing done yet
    response = post_action(client, overdue, confirm="yes")
    batch = HandoverBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_handoverbatch_change", args=[batch.pk])
    assert Invoice.objects.get(pk=overdue.pk).status == Invoice.Status.TRANSMITTED
    page = client.get(response["Location"]).text
    assert overdue.number in page and "Télécharger (tableur)" in page
    sheet = client.get(reverse("admin:core_handoverbatch_file", args=[batch.pk, "etat"]))
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    archive = client.get(reverse("admin:core_handoverbatch_file", args=[batch.pk, "factures"]))
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"


def test_a_refused_hand_over_says_why(client, regisseur, overdue):
    Invoice.objects.filter(pk=overdue.pk).update(status=Invoice.Status.PAID)
    client.force_login(regisseur)
    response = post_action(client, overdue, confirm="yes")
    assert response.status_code == 302 and not HandoverBatch.objects.exists()
    assert "ne peut pas être transmise" in client.get(response["Location"]).text


def test_a_gestionnaire_cannot_hand_over_nor_read_batches(client, gestionnaire, regisseur, overdue):
    batch = handover_create(invoice_ids=[overdue.pk], by=regisseur)
    client.force_login(gestionnaire)
    assert post_action(client, overdue, confirm="yes").status_code == 403
    assert client.get(reverse("admin:core_handoverbatch_changelist")).status_code == 403
    assert client.get(reverse("admin:core_handoverbatch_file", args=[batch.pk, "etat"])).status_code == 403


def test_the_portal_says_where_to_pay_a_handed_over_invoice(client, family, regisseur, overdue, town):
    town.regie.public_accountant = "SGC de Valbourg\n2 rue du Trésor"
    town.regie.save()
    handover_create(invoice_ids=[overdue.pk], by=regisseur)
    client.force_login(family.user)
    text = client.get(reverse("portail:invoices")).text
    assert "Transmise au Trésor public" in text and "SGC de Valbourg<br>2 rue du Trésor" in text
    assert f'name="invoice" value="{overdue.pk}"' not in text  # no « Sélectionner »
    client.post(reverse("portail:invoice_basket_change"), {"invoice": overdue.pk, "action": "ajouter"})
    assert "Aucune facture sélectionnée" in client.get(reverse("portail:invoices")).text

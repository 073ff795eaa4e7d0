"""Direct debit in the admin: mandates validated by staff, files made only by the Régisseur and
the Administrateur, rejects recorded per debit, exports and the dashboard figures."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import DebitBatch, DirectDebit, EmailLog, Invoice, Mandate
from core.services import direct_debit as dd
from core.services import mandates
from tests import factories

IBAN = "FR1420041010050500013M02606"
DEBIT_DAY = datetime.date(2027, 2, 10)
SUBMIT = {"_form_submitted": "on"}


@pytest.fixture
def on_1_december():
    """The day this module's dates were chosen for, set before the other fixtures (their logins and
    rows are made on that day too): the suite runs on any day."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


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
def mandate(family, regie):
    return mandates.mandate_request(guardian=family.parent, regie=regie, holder_name="Jean TEST", iban=IBAN)


def _scheduled(family, regie, mandate):
    mandates.mandate_validate(mandate_id=mandate.pk)
    invoice = factories.InvoiceFactory(regie=regie, household=family.household, total=Decimal("59.20"), payer_email="parent@example.org")
    return DirectDebit.objects.create(invoice=invoice, mandate=mandate, amount=invoice.total, debit_date=DEBIT_DAY)


def login(client, user):
    client.force_login(user)
    return client


def test_staff_see_the_full_iban_and_validate_a_mandate(client, regisseur, mandate):
    login(client, regisseur)
    page = client.get(reverse("admin:core_mandate_change", args=[mandate.pk])).text
    assert IBAN in page and "Valider le mandat" in page
    response = client.post(reverse("admin:core_mandate_validate_mandate", args=[mandate.pk]), {"_form_submitted": "on", "signed_on": "04/01/2027"})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE and mandate.signed_on == datetime.date(2027, 1, 4)
    assert mandate.validated_by == regisseur


def test_the_mandate_form_is_not_a_write_path(client, administrateur, mandate):
    login(client, administrateur)
    response = client.post(reverse("admin:core_mandate_change", args=[mandate.pk]), {"iban": "DE89370400440532013000"})
    assert response.status_code == 403
    assert Mandate.objects.get(pk=mandate.pk).iban == IBAN
    assert client.get(reverse("admin:core_mandate_add")).status_code == 403


@pytest.mark.parametrize("role", ["regisseur", "administrateur"])
def test_regisseur_and_administrateur_make_download_send_and_confirm_a_batch(request, client, role, family, regie, mandate):
    debit = _scheduled(family, regie, mandate)
    login(client, request.getfixturevalue(role))
    response = client.post(reverse("admin:core_debitbatch_generate_batch"), {"_form_submitted": "on", "regie": regie.pk, "debit_date": "10/02/2027"})
    assert response.status_code == 302, response.text[:500]
    batch = DebitBatch.objects.get()
    download = client.get(reverse("admin:core_debitbatch_file", args=[batch.pk]))
    assert download.status_code == 200
    dd.pain008_validate(b"".join(download.streaming_content))
    client.post(reverse("admin:core_debitbatch_mark_sent", args=[batch.pk]), SUBMIT)
    assert Invoice.objects.get(pk=debit.invoice_id).status == Invoice.Status.DIRECT_DEBIT_IN_PROGRESS
    client.post(reverse("admin:core_debitbatch_confirm_batch", args=[batch.pk]), SUBMIT)
    assert Invoice.objects.get(pk=debit.invoice_id).status == Invoice.Status.PAID


def test_a_gestionnaire_makes_no_batch(client, gestionnaire, family, regie, mandate):
    _scheduled(family, regie, mandate)
    login(client, gestionnaire)
    response = client.post(reverse("admin:core_debitbatch_generate_batch"), {"_form_submitted": "on", "regie": regie.pk, "debit_date": "10/02/2027"})
    assert response.status_code == 403
    assert not DebitBatch.objects.exists()


def test_only_batch_managers_download_or_send_a_file(client, gestionnaire, regisseur, family, regie, mandate):
    """A staff role with the view permission but not the batch permission is refused the file and the actions."""
    from django.contrib.auth.models import Group, Permission

    _scheduled(family, regie, mandate)
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY)
    group = Group.objects.get(name="Gestionnaire")
    group.permissions.add(Permission.objects.get(codename="view_debitbatch"))
    login(client, gestionnaire)
    assert client.get(reverse("admin:core_debitbatch_change", args=[batch.pk])).status_code == 200
    assert client.get(reverse("admin:core_debitbatch_file", args=[batch.pk])).status_code == 403
    assert client.post(reverse("admin:core_debitbatch_mark_sent", args=[batch.pk]), SUBMIT).status_code == 403
    assert DebitBatch.objects.get().status == DebitBatch.Status.GENERATED


def test_staff_record_a_reject_and_the_family_is_emailed(client, regisseur, family, regie, mandate):
    debit = _scheduled(family, regie, mandate)
    batch = dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY)
    dd.debit_batch_mark_sent(batch_id=batch.pk)
    login(client, regisseur)
    page = client.get(reverse("admin:core_directdebit_change", args=[debit.pk])).text
    assert "Enregistrer un rejet" in page
    response = client.post(reverse("admin:core_directdebit_record_reject", args=[debit.pk]), {"_form_submitted": "on", "code": "AC04"})
    assert response.status_code == 302
    assert Invoice.objects.with_balance().get(pk=debit.invoice_id).is_payable
    assert "Compte clôturé" in EmailLog.objects.get(kind="direct_debit_rejected").body_text
    listed = client.get(reverse("admin:core_directdebit_changelist") + "?rejets=mois").text
    assert debit.invoice.number in listed


def test_mandates_and_batches_export(client, administrateur, family, regie, mandate):
    _scheduled(family, regie, mandate)
    dd.debit_batch_create(regie=regie, debit_date=DEBIT_DAY)
    login(client, administrateur)
    for name, expected in (("admin:core_mandate_export", mandate.rum), ("admin:core_debitbatch_export", "10/02/2027")):
        response = client.post(reverse(name), {"format": "1", "resource": "0"})
        assert response.status_code == 200, name
        assert expected in response.content.decode(), name


def test_dashboard_shows_direct_debit_figures(on_1_december, client, regisseur, family, regie, mandate):
    _scheduled(family, regie, mandate)
    login(client, regisseur)
    page = client.get(reverse("admin:index")).text
    assert "Foyers en prélèvement" in page and "Prochain prélèvement" in page and "Rejets du mois" in page
    assert "10/02/2027" in page

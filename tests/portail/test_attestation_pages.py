"""« Factures et paiements » › « Attestations »: the tax certificate with the right amount, the
period attestation form and its French errors."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from tests.core.test_certificates import DAYS, invoice_with, pay

JANUARY = datetime.datetime(2027, 1, 20, 10, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _media_and_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(JANUARY, tick=False):
        yield


@pytest.fixture
def parent_client(client, family):
    client.force_login(family.user)
    return client


@pytest.fixture
def paid_childcare(town, family):
    junior, lise = family.children
    junior.birth_date, lise.birth_date = datetime.date(2021, 5, 2), datetime.date(2019, 9, 1)
    junior.save()
    lise.save()
    invoice = invoice_with(town.regie, family.household, [
        (junior, town.repas_maternelle, DAYS, "30.00"), (junior, town.garderie_soir, DAYS, "10.00"),
        (lise, town.garderie_soir, DAYS, "10.00"),
    ])
    pay(invoice, "50.00", datetime.date(2026, 3, 20))
    return invoice


def test_the_parent_downloads_last_years_tax_certificate(parent_client, paid_childcare):
    page = parent_client.get(reverse("portail:attestations"))
    text = page.text
    assert page.status_code == 200 and text.count("<h1") == 1
    assert "<strong>2026</strong> : 10,00 € versés" in " ".join(text.split())
    response = parent_client.get(reverse("portail:tax_certificate", args=[2026]))
    assert response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Attestation fiscale 2026" in pdf and "10,00 €" in pdf and "Junior" in pdf and "Lise" not in pdf


def test_this_years_certificate_is_not_there_yet(parent_client, paid_childcare):
    assert parent_client.get(reverse("portail:tax_certificate", args=[2027])).status_code == 404


def test_the_period_attestation_comes_as_a_pdf(parent_client, paid_childcare):
    response = parent_client.get(
        reverse("portail:attestations"), {"kind": "paiements", "start": "2026-03-01", "end": "2026-03-31"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert paid_childcare.number in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_the_form_says_what_is_wrong_in_french(parent_client):
    response = parent_client.get(
        reverse("portail:attestations"), {"kind": "presence", "start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400
    text = response.text
    assert "La date de fin doit suivre la date de début." in text
    assert 'aria-invalid="true"' in text and "aria-describedby" in text
    response = parent_client.get(reverse("portail:attestations"), {"kind": "presence", "start": "", "end": "x"})
    assert "Indiquez la date de début." in response.text and "Saisissez une date valide." in response.text

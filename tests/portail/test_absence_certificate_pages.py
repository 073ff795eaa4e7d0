"""The medical certificate in the portal, without JavaScript: sent with the declaration, or added
later from « Absences » while the declaration waits and the delay runs."""

import datetime
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AbsenceCertificateRule, AbsenceDeclaration, AbsenceReason, EmailLog, HouseholdDocument
from core.services.absences import absence_declare
from core.services.bookings import week_view
from core.services.deadlines import PARIS
from tests.core.test_billing import MON, TUE, book
from tests.core.test_documents import EXE, PNG

NOW = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=PARIS)
PAGE = reverse("portail:absences")


@pytest.fixture(autouse=True)
def frozen_now(media_root):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def parent(client, family, town):
    town.repas_maternelle.absence_certificate_rule = AbsenceCertificateRule.OVER_DAYS
    town.repas_maternelle.absence_certificate_days = 1
    town.repas_maternelle.save()
    book(family.children[0], town.repas_maternelle, MON, TUE)
    client.force_login(family.user)
    return client


@pytest.fixture
def maladie(db):
    return AbsenceReason.objects.get_or_create(label="Maladie")[0]


def png(content=PNG):
    return SimpleUploadedFile("photo-certificat.png", content, content_type="image/png")


def test_the_page_states_the_rule_and_takes_the_certificate_with_the_declaration(parent, family, maladie):
    page = parent.get(PAGE).text
    assert "Repas maternelle : certificat médical demandé au-delà de 1 jour d&#x27;absence." in page
    assert 'enctype="multipart/form-data"' in page and 'accept=".pdf,.jpg' in page
    response = parent.post(PAGE, {
        "child": family.children[0].pk, "start": "2026-12-07", "end": "2026-12-08", "reason": maladie.pk,
        "certificate": png(),
    })
    assert response.status_code == 302
    declaration = AbsenceDeclaration.objects.get()
    assert declaration.certificate_required and declaration.certificate.content_type == "image/png"
    page = parent.get(PAGE).text
    assert "Certificat médical reçu." in page and "Certificat médical : reçu" in page
    assert reverse("portail:document_file", args=[declaration.certificate_id]) in page
    assert parent.get(reverse("portail:document_file", args=[declaration.certificate_id])).status_code == 200


def test_a_declaration_without_the_required_certificate_says_until_when_to_add_it(parent, family, maladie):
    parent.post(PAGE, {"child": family.children[0].pk, "start": "2026-12-07", "end": "2026-12-08", "reason": maladie.pk})
    declaration = AbsenceDeclaration.objects.get()
    page = parent.get(PAGE).text
    assert "Un certificat médical est demandé : ajoutez-le au plus tard le 15/12/2026" in page
    assert "Certificat médical demandé" in page and "Ajouter un certificat médical" in page

    url = reverse("portail:absence_certificate", args=[declaration.pk])
    assert "Envoyer le certificat" in parent.get(url).text
    refused = parent.post(url, {"certificate": png(EXE)})
    assert refused.status_code == 400 and "Ce fichier n&#x27;est pas accepté" in refused.text
    empty = parent.post(url, {})
    assert empty.status_code == 400 and "Choisissez le fichier du certificat médical." in empty.text
    assert not HouseholdDocument.objects.exists()

    assert parent.post(url, {"certificate": png()}).status_code == 302
    declaration.refresh_from_db()
    assert declaration.certificate.uploaded_by == family.parent
    assert EmailLog.objects.filter(kind="absence_certificate_received").count() == 1
    assert "Certificat médical de l&#x27;absence de Junior envoyé" in parent.get(PAGE).text


def test_after_the_delay_the_page_says_so_and_takes_nothing(parent, family, maladie):
    declaration, _ = absence_declare(
        guardian=family.parent, child=family.children[0], start=MON, end=TUE, reason=maladie,
        now=NOW - datetime.timedelta(hours=1),
    )
    AbsenceDeclaration.objects.filter(pk=declaration.pk).update(certificate_due=datetime.date(2026, 12, 7))
    assert "le délai est passé le 07/12/2026" in parent.get(PAGE).text
    url = reverse("portail:absence_certificate", args=[declaration.pk])
    assert "Le délai pour envoyer le certificat médical est dépassé" in parent.get(url).text
    response = parent.post(url, {"certificate": png()})
    assert response.status_code == 400 and "dépassé" in response.text
    assert not HouseholdDocument.objects.exists()


def test_the_week_page_and_the_json_week_show_the_declared_absence(parent, family, maladie):
    absence_declare(guardian=family.parent, child=family.children[0], start=MON, end=MON, reason=maladie, now=NOW)
    page = parent.get(reverse("portail:reservations"), {"date": "2026-12-07"}).text
    assert "Absence à examiner" in page
    assert "Junior TEST, Repas maternelle, lundi 7 décembre : réservé, délai dépassé, absence déclarée, à examiner" in page
    data = parent.get("/api/v1/week/", {"date": "2026-12-07"}).json()
    monday = data["children"][0]["rows"][0]["cells"][0]
    assert monday["absence"] == "pending" and monday["absence_label"] == "absence déclarée, à examiner"
    assert week_view(guardian=family.parent, day=MON, now=NOW).children[0].rows[0].cells[1].absence is None


def test_the_model_week_form_starts_from_the_enrolment_usual_days(parent, family, town):
    from core.models import Enrolment

    Enrolment.objects.filter(child=family.children[0], activity=town.repas_maternelle).update(weekdays=[0, 3])
    page = parent.get(reverse("portail:model_week")).text
    name = f"semaine-{family.children[0].pk}-{town.repas_maternelle.pk}"
    assert f'name="{name}" value="0"' in page and "Jours habituels de l'inscription, proposés" in page
    checked = re.findall(rf'<input type="checkbox" name="{name}" value="(\d)"[^>]*checked', page)
    assert checked == ["0", "3"]

"""« Mes inscriptions »: a parent fills in, saves, completes and sends a child's request, without
JavaScript; a wrong file loses nothing already entered."""

import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.constants import PARIS
from core.models import EmailLog, EnrolmentRequest, HouseholdDocument
from core.services import enrolment_requests as er
from tests import factories

OPENS = datetime.datetime(2027, 5, 1, 8, 0, tzinfo=PARIS)
CLOSES = datetime.datetime(2027, 6, 30, 23, 59, tzinfo=PARIS)
NOW = datetime.datetime(2027, 5, 15, 10, 0, tzinfo=PARIS)
PDF = b"%PDF-1.7\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def campaign(town):
    return factories.enrolment_campaign(town, opens_at=OPENS, closes_at=CLOSES)


@pytest.fixture
def parent(client, family):
    client.force_login(family.user)
    return client


def start(parent, campaign, child):
    response = parent.post(reverse("portail:enrolment_start"), {"campaign": campaign.pk, "child": child.pk})
    assert response.status_code == 302
    return EnrolmentRequest.objects.get(campaign=campaign, child=child)


def form_data(campaign, town, **extra):
    service = campaign.services.get(activity=town.repas_maternelle)
    care = campaign.services.get(activity=town.garderie_soir)
    return {f"service_{service.pk}": "on", f"service_{care.pk}": "on", f"days_{care.pk}": ["0", "3"],
            "allergies": "Arachide", "diet": "Sans porc", "doctor_name": "Dr Martin", "doctor_phone": "0102030405",
            "emergency_0_name": "Mamie", "emergency_0_phone": "0611223344", "emergency_0_relation": "grand-mère",
            "authorised_0_name": "Tonton", "authorised_0_phone": "0699887766", "authorised_0_relation": "oncle",
            "photo_consent": "on", **extra}


def test_the_enrolment_page_offers_each_child_a_request_during_a_campaign(parent, campaign, family):
    page = parent.get(reverse("portail:enrolments")).content.decode()
    assert "Inscriptions 2027-2028" in page and page.count("Remplir le dossier") == 2
    request = start(parent, campaign, family.children[0])
    page = parent.get(reverse("portail:enrolments")).content.decode()
    assert page.count("Remplir le dossier") == 1 and "Compléter le dossier" in page and "Brouillon" in page
    assert parent.get(reverse("portail:enrolment_request", args=[request.pk])).status_code == 200


def test_a_draft_is_saved_then_completed_with_a_document_and_sent(parent, campaign, family, town,
                                                                  django_capture_on_commit_callbacks):
    request = start(parent, campaign, family.children[0])
    url = reverse("portail:enrolment_request", args=[request.pk])
    saved = parent.post(url, {**form_data(campaign, town), "enregistrer": ""})
    assert saved.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.allergies, request.doctor_name, request.photo_consent) == ("draft", "Arachide", "Dr Martin", True)
    assert request.authorised_people == [{"name": "Tonton", "phone": "0699887766", "relation": "oncle"}]
    page = parent.get(url).content.decode()
    assert 'value="Mamie"' in page and "Attestation d&#x27;assurance" in page
    missing = parent.post(url, {**form_data(campaign, town), "envoyer": ""})
    assert missing.status_code == 422 and "Documents manquants : Attestation d&#x27;assurance." in missing.content.decode()
    insurance = campaign.services.first().required_documents.get()
    sent = parent.post(url, {**form_data(campaign, town), "envoyer": "",
                             f"document_{insurance.pk}": SimpleUploadedFile("IMG_2031.pdf", PDF)})
    assert sent.status_code == 302 and sent.url == reverse("portail:enrolments")
    request.refresh_from_db()
    assert request.status == "submitted" and request.documents.get().original_name == "IMG_2031.pdf"
    assert EmailLog.objects.filter(subject="Dossier d'inscription reçu : Junior — 2027-2028").exists()
    page = parent.get(url).content.decode()
    assert "Envoyer le dossier" not in page and "IMG_2031.pdf" in page
    assert parent.post(url, {**form_data(campaign, town, allergies="Kiwi"), "enregistrer": ""}).status_code == 200
    request.refresh_from_db()
    assert request.allergies == "Arachide"  # a sent request no longer changes


def test_a_renamed_executable_is_refused_and_the_answers_are_kept(parent, campaign, family, town):
    request = start(parent, campaign, family.children[0])
    insurance = campaign.services.first().required_documents.get()
    response = parent.post(reverse("portail:enrolment_request", args=[request.pk]),
                           {**form_data(campaign, town), "envoyer": "",
                            f"document_{insurance.pk}": SimpleUploadedFile("assurance.pdf", EXE)})
    text = response.content.decode()
    assert response.status_code == 422
    assert "Ce fichier n&#x27;est pas accepté : envoyez un document PDF, JPEG ou PNG." in text
    assert 'aria-invalid="true"' in text and "Vos autres réponses sont enregistrées." in text
    assert not HouseholdDocument.objects.exists()
    request.refresh_from_db()
    assert request.status == "draft" and request.allergies == "Arachide"


def test_staff_message_is_shown_and_the_family_corrects_an_incomplete_request(parent, campaign, family, town, staff_agent):
    request = start(parent, campaign, family.children[0])
    insurance = campaign.services.first().required_documents.get()
    url = reverse("portail:enrolment_request", args=[request.pk])
    parent.post(url, {**form_data(campaign, town), "envoyer": "",
                      f"document_{insurance.pk}": SimpleUploadedFile("a.pdf", PDF)})
    er.request_ask_changes(enrolment_request=request, reviewer=staff_agent, message="Merci de préciser le PAI.")
    page = parent.get(url).content.decode()
    assert "Merci de préciser le PAI." in page and "À compléter" in page and "Envoyer le dossier" in page
    assert parent.post(url, {**form_data(campaign, town, has_pai="on", pai_details="Asthme"), "envoyer": ""}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.has_pai, request.pai_details) == ("submitted", True, "Asthme")


def test_another_household_request_or_child_is_a_404(parent, campaign, other_family):
    zoe = other_family.children[0]
    theirs = er.request_start(campaign=campaign, child=zoe, guardian=other_family.parent, now=NOW)
    assert parent.get(reverse("portail:enrolment_request", args=[theirs.pk])).status_code == 404
    assert parent.post(reverse("portail:enrolment_request", args=[theirs.pk]), {"allergies": "x"}).status_code == 404
    assert parent.post(reverse("portail:enrolment_start"), {"campaign": campaign.pk, "child": zoe.pk}).status_code == 404
    assert EnrolmentRequest.objects.filter(child=zoe).count() == 1


def test_nothing_to_start_once_the_campaign_is_closed(parent, campaign, family):
    type(campaign).objects.filter(pk=campaign.pk).update(closes_at=NOW - datetime.timedelta(minutes=1))
    page = parent.get(reverse("portail:enrolments"))
    assert page.status_code == 200 and "Remplir le dossier" not in page.content.decode()
    response = parent.post(reverse("portail:enrolment_start"), {"campaign": campaign.pk, "child": family.children[0].pk})
    assert response.status_code == 404 and not EnrolmentRequest.objects.exists()

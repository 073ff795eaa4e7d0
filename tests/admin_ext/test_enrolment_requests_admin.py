"""The review queue of enrolment requests: filters, the decision form, bulk acceptance."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.constants import PARIS
from core.models import EmailLog, Enrolment, QuotientFamilial
from core.services import enrolment_requests as er
from tests import factories

OPENS = datetime.datetime(2027, 5, 1, 8, 0, tzinfo=PARIS)
CLOSES = datetime.datetime(2027, 6, 30, 23, 59, tzinfo=PARIS)
NOW = datetime.datetime(2027, 5, 15, 10, 0, tzinfo=PARIS)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign(town):
    return factories.enrolment_campaign(town, opens_at=OPENS, closes_at=CLOSES)


def request_for(campaign, family, child, *, documents=("assurance",), send=True):
    draft = er.request_start(campaign=campaign, child=child, guardian=family.parent, now=NOW)
    meal = campaign.services.get(activity__grades__contains=child.grade, activity__kind="meal")
    er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW, services={meal.pk: []},
                    health={"allergies": "Arachide", "authorised_people": [{"name": "Mamie", "phone": "0611", "relation": "grand-mère"}]})
    for code in documents:
        er.request_add_document(enrolment_request=draft, guardian=family.parent, now=NOW,
                                document_type=factories.DocumentTypeFactory(code=code),
                                uploaded_file=SimpleUploadedFile(f"{code}.png", PNG))
    return er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW) if send else draft


@pytest.fixture
def staff_client(client, gestionnaire):
    client.force_login(gestionnaire)
    return client


def test_the_queue_filters_by_status_service_school_and_missing_documents(staff_client, campaign, family, other_family, town):
    junior, lise = family.children
    request_for(campaign, family, junior)
    request_for(campaign, family, lise)  # the household's insurance is reused
    request_for(campaign, other_family, other_family.children[0], documents=(), send=False)
    url = reverse("admin:core_enrolmentrequest_changelist")
    page = staff_client.get(url).content.decode()
    assert "Junior" in page and "Lise" in page and "Zoé" in page and "Attestation d&#x27;assurance" in page
    assert "Zoé" not in staff_client.get(url, {"status__exact": "submitted"}).content.decode()
    assert "Lise" not in staff_client.get(url, {"prestation": town.repas_maternelle.pk}).content.decode()
    assert "Junior" not in staff_client.get(url, {"child__school__id__exact": town.elementaire.pk}).content.decode()
    missing = staff_client.get(url, {"documents": "manquants"}).content.decode()
    assert "Zoé" in missing and "Junior" not in missing and "Lise" not in missing
    complete = staff_client.get(url, {"documents": "complets"}).content.decode()
    assert "Junior" in complete and "Lise" in complete and "Zoé" not in complete


def test_the_review_page_shows_the_documents_and_the_health_form(staff_client, campaign, family):
    request = request_for(campaign, family, family.children[0])
    page = staff_client.get(reverse("admin:core_enrolmentrequest_change", args=[request.pk])).content.decode()
    document = request.documents.get()
    assert reverse("admin:core_householddocument_file", args=[document.pk]) in page
    assert "assurance.png" in page and "<img" in page
    assert "Arachide" in page and "Mamie — 0611 (grand-mère)" in page


def test_staff_ask_for_changes_with_a_message_then_accept(staff_client, campaign, family, town, gestionnaire,
                                                          django_capture_on_commit_callbacks):
    request = request_for(campaign, family, family.children[0], documents=("assurance", "caf"))
    url = reverse("admin:core_enrolmentrequest_change", args=[request.pk])
    refused = staff_client.post(url, {"decision": "ask_changes", "message": ""})
    assert refused.status_code == 200 and "ce qu&#x27;il faut compléter" in refused.content.decode()
    assert staff_client.post(url, {"decision": "ask_changes", "message": "Attestation CAF illisible"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "incomplete" and request.decided_by == gestionnaire
    assert EmailLog.objects.filter(subject__startswith="Dossier d'inscription à compléter").exists()
    er.request_submit(enrolment_request=request, guardian=family.parent, now=NOW)
    no_qf = staff_client.post(url, {"decision": "accept"})
    assert "quotient familial lu sur l&#x27;attestation" in no_qf.content.decode()
    accepted = staff_client.post(url, {"decision": "accept", "quotient_value": "720", "quotient_from": "01/09/2027"})
    assert accepted.status_code == 302
    request.refresh_from_db()
    assert request.status == "accepted"
    assert Enrolment.objects.filter(child=family.children[0], school_year=campaign.school_year,
                                    activity=town.repas_maternelle).exists()
    assert QuotientFamilial.objects.get(household=family.household).value == 720


def test_staff_refuse_with_a_reason(staff_client, campaign, family):
    request = request_for(campaign, family, family.children[0])
    url = reverse("admin:core_enrolmentrequest_change", args=[request.pk])
    assert "motif du refus" in staff_client.post(url, {"decision": "refuse", "message": ""}).content.decode()
    assert staff_client.post(url, {"decision": "refuse", "message": "Hors secteur scolaire"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.staff_message) == ("refused", "Hors secteur scolaire")


def test_bulk_acceptance_accepts_what_it_can_and_says_what_it_skipped(staff_client, campaign, family):
    junior = request_for(campaign, family, family.children[0])
    lise = request_for(campaign, family, family.children[1], documents=("assurance", "caf"))
    response = staff_client.post(reverse("admin:core_enrolmentrequest_changelist"),
                                 {"action": "accept_selected", "_selected_action": [junior.pk, lise.pk]}, follow=True)
    text = response.content.decode()
    assert "1 dossier(s) accepté(s)" in text and "quotient familial" in text
    junior.refresh_from_db(), lise.refresh_from_db()
    assert (junior.status, lise.status) == ("accepted", "submitted")


def test_campaign_pages_open(staff_client, campaign):
    assert staff_client.get(reverse("admin:core_enrolmentcampaign_change", args=[campaign.pk])).status_code == 200
    assert staff_client.get(reverse("admin:core_enrolmentcampaign_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:core_enrolmentcampaign_add")).status_code == 200


def test_the_dashboard_counts_requests_to_review_to_complete_and_accepted(client, campaign, family, other_family,
                                                                        gestionnaire, staff_agent):
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=NOW):
        junior = request_for(campaign, family, family.children[0])
        lise = request_for(campaign, family, family.children[1])
        request_for(campaign, other_family, other_family.children[0])
        er.request_accept(enrolment_request=junior, reviewer=staff_agent, now=NOW)
        er.request_ask_changes(enrolment_request=lise, reviewer=staff_agent, message="PAI ?", now=NOW)
        client.force_login(gestionnaire)
        page = client.get(reverse("admin:index")).content.decode()
        for figure, value in (("submitted", 1), ("incomplete", 1), ("accepted", 1)):
            assert f'id="enrolment-{figure}">{value}</div>' in page
        client.force_login(factories.RoleStaffFactory(email="sans-role@mairie.test", role=None))
        assert 'id="enrolments"' not in client.get(reverse("admin:index")).content.decode()


def test_requests_and_health_forms_are_exported_and_printed_per_school_and_service(staff_client, campaign, family, town):
    import io

    import openpyxl

    junior = request_for(campaign, family, family.children[0])
    lise = request_for(campaign, family, family.children[1])
    url = reverse("admin:core_enrolmentrequest_changelist")
    selected = {"_selected_action": [junior.pk, lise.pk]}
    response = staff_client.post(url, {"action": "export_selected", **selected})
    assert response["Content-Disposition"] == 'attachment; filename="dossiers-inscription.xlsx"'
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:4] == ("Campagne", "École", "Classe", "Enfant")
    assert {(row[3], row[8]) for row in rows[1:]} == {("Junior TEST", "Arachide"), ("Lise TEST", "Arachide")}
    printed = staff_client.post(url, {"action": "print_health_forms", **selected}).content.decode()
    assert "École maternelle Les Tilleuls — Repas maternelle (1 enfant)" in printed
    assert "École élémentaire Jules-Ferry — Repas primaire (1 enfant)" in printed
    assert "Mamie — 0611 (grand-mère)" in printed and "Arachide" in printed

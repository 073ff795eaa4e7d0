"""A parent enrols a child online with a document, on a desktop and on a phone; staff accept it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import DocumentType, Enrolment, EnrolmentRequest
from core.services import enrolment_requests as er
from tests import factories
from tests.browser.conftest import admin_login, assert_no_serious_axe_violations, screenshot
from tests.browser.test_portal_pages import log_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def campaign(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()  # the live server runs on the real clock: a window around it
    campaign = factories.enrolment_campaign(town, opens_at=now - datetime.timedelta(days=1),
                                            closes_at=now + datetime.timedelta(days=30))
    DocumentType.objects.update(validity_months=None)  # valid at the coming school year, whatever today is
    return campaign


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_parent_enrols_a_child_with_a_document_and_staff_accept(request, device, family, campaign, staff_agent,
                                                                  transactional_db):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    log_in(page)
    page.goto("/espace-famille/inscriptions/")
    expect(page.get_by_role("heading", name=campaign.name)).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="Remplir le dossier de Junior").click()

    expect(page.get_by_role("heading", name="Dossier d'inscription de Junior", level=1)).to_be_visible()
    page.get_by_label("Repas maternelle").check()
    page.get_by_label("Allergies").fill("Arachide")
    page.get_by_role("group", name="Personne 1", exact=True).get_by_label("Nom et prénom").fill("Mamie Dupont")
    page.get_by_role("group", name="Personne 1", exact=True).get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré")).to_be_visible()
    expect(page.get_by_label("Allergies")).to_have_value("Arachide")
    screenshot(page, f"enrolment-request-draft-{device}")
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Envoyer le dossier").click()  # the insurance is missing
    expect(page.get_by_text("Documents manquants : Attestation d'assurance.")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_label("Attestation d'assurance").set_input_files(
        files=[{"name": "assurance.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Envoyer le dossier").click()
    expect(page.get_by_text("Le dossier de Junior est envoyé à la mairie.")).to_be_visible()
    expect(page.get_by_text("Envoyée")).to_be_visible()
    screenshot(page, f"enrolment-request-sent-{device}")
    assert_no_serious_axe_violations(page)

    enrolment_request = EnrolmentRequest.objects.get(child=family.children[0])
    er.request_accept(enrolment_request=enrolment_request, reviewer=staff_agent)
    page.reload()
    expect(page.get_by_text("Acceptée")).to_be_visible()
    assert Enrolment.objects.filter(child=family.children[0], school_year=campaign.school_year).exists()
    page.get_by_role("link", name=re.compile("Voir le dossier")).click()
    expect(page.get_by_role("link", name="assurance.pdf")).to_be_visible()
    assert_no_serious_axe_violations(page)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_new_family_asks_for_an_account(request, device, transactional_db):
    from core.models import FamilyAccountRequest

    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    page.goto("/connexion/")
    page.get_by_role("link", name="Créer mon compte famille").click()
    expect(page.get_by_role("heading", name="Créer mon compte famille", level=1)).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_label("Nom de la famille").fill("Martin")
    responsible = page.get_by_role("group", name="Responsable", exact=True)
    responsible.get_by_label("Prénom").fill("Léa")
    responsible.get_by_label(re.compile(r"^Nom")).fill("Martin")
    responsible.get_by_label("Adresse email").fill("lea@example.org")
    address = page.get_by_role("group", name="Adresse du foyer")
    address.get_by_label(re.compile(r"^Adresse")).fill("3 rue des Lilas")
    address.get_by_label("Code postal").fill("44000")
    address.get_by_label("Commune").fill("Valbourg")
    child = page.get_by_role("group", name="Enfant 1", exact=True)
    child.get_by_label("Prénom").fill("Tom")
    child.get_by_label(re.compile(r"^Nom")).fill("Martin")
    child.get_by_label("Classe à la rentrée").select_option("MS")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Complétez ce champ pour cet enfant.")).to_be_visible()  # the birth date
    assert_no_serious_axe_violations(page)
    page.get_by_role("group", name="Enfant 1", exact=True).get_by_label("Date de naissance").fill("2021-03-04")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", name="Demande envoyée")).to_be_visible()
    screenshot(page, f"family-account-request-{device}")
    assert FamilyAccountRequest.objects.get().children[0]["birth_date"] == "2021-03-04"


def test_a_parent_re_enrols_from_a_phone_with_last_year_form_and_staff_accept_in_the_admin(
        request, family, campaign, town, gestionnaire, transactional_db):
    """Re-enrolment: last year's form comes back filled in; the parent corrects it on a phone, adds
    the insurance and sends; staff accept it from the review page; the enrolment follows."""
    from core.models import EmailLog, EnrolmentCampaign, RequestedService

    junior = family.children[0]
    last_year = EnrolmentCampaign.objects.create(
        school_year=town.school_year, name="Inscriptions 2026-2027",
        opens_at=campaign.opens_at - datetime.timedelta(days=400), closes_at=campaign.opens_at - datetime.timedelta(days=300))
    previous = EnrolmentRequest.objects.create(
        campaign=last_year, child=junior, status=EnrolmentRequest.Status.ACCEPTED, allergies="Arachide",
        doctor_name="Dr Martin", authorised_people=[{"name": "Mamie Dupont", "phone": "06 11 22 33 44", "relation": ""}])
    RequestedService.objects.create(request=previous, service=last_year.services.create(activity=town.repas_maternelle))

    page = request.getfixturevalue("phone_page")
    log_in(page)
    page.goto("/espace-famille/inscriptions/")
    page.get_by_role("button", name="Remplir le dossier de Junior").click()
    expect(page.get_by_label("Allergies")).to_have_value("Arachide")  # last year's form, pre-filled
    expect(page.get_by_label("Repas maternelle")).to_be_checked()
    expect(page.locator("#id_authorised_0_name")).to_have_value("Mamie Dupont")
    page.get_by_label("Allergies").fill("Arachide, kiwi")  # the parent corrects
    page.get_by_label("Attestation d'assurance").set_input_files(
        files=[{"name": "assurance.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Envoyer le dossier").click()
    expect(page.get_by_text("Le dossier de Junior est envoyé à la mairie.")).to_be_visible()
    screenshot(page, "re-enrolment-sent-phone")
    assert_no_serious_axe_violations(page)

    enrolment_request = EnrolmentRequest.objects.get(campaign=campaign, child=junior)
    staff = request.getfixturevalue("page")
    admin_login(staff, gestionnaire.email, next_url=f"/admin/core/enrolmentrequest/{enrolment_request.pk}/change/")
    expect(staff.get_by_text("Arachide, kiwi").first).to_be_visible()
    staff.get_by_label("Accepter", exact=True).check()
    staff.get_by_role("button", name=re.compile("^Enregistrer$")).first.click()
    expect(staff.get_by_text("la famille est prévenue par email")).to_be_visible()
    screenshot(staff, "re-enrolment-accepted-admin")
    enrolment_request.refresh_from_db()
    assert enrolment_request.status == EnrolmentRequest.Status.ACCEPTED
    assert Enrolment.objects.filter(child=junior, school_year=campaign.school_year,
                                    activity=town.repas_maternelle).exists()
    assert EmailLog.objects.filter(subject="Inscription acceptée : Junior — 2027-2028").exists()

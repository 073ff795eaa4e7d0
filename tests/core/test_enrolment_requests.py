"""Online enrolment requests: the family's draft, sending, staff's decisions and their effects."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.constants import PARIS
from core.models import EmailLog, Enrolment, EnrolmentRequest, HouseholdDocument, QuotientFamilial
from core.services import enrolment_requests as er
from core.services.documents import document_upload
from core.services.enrolment_requests import EnrolmentRequestError
from tests import factories

OPENS = datetime.datetime(2027, 5, 1, 8, 0, tzinfo=PARIS)
CLOSES = datetime.datetime(2027, 6, 30, 23, 59, tzinfo=PARIS)
NOW = datetime.datetime(2027, 5, 15, 10, 0, tzinfo=PARIS)
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign(town):
    return factories.enrolment_campaign(town, opens_at=OPENS, closes_at=CLOSES)


def service_of(campaign, activity):
    return campaign.services.get(activity=activity)


def pdf(name="attestation.pdf"):
    return SimpleUploadedFile(name, PDF)


def started(campaign, family, child=None, now=NOW):
    return er.request_start(campaign=campaign, child=child or family.children[0], guardian=family.parent, now=now)


def test_services_offered_follow_the_child_grade_and_school(campaign, family, town):
    junior, lise = family.children
    assert [s.activity for s in er.services_offered(campaign=campaign, child=junior)] == [town.repas_maternelle, town.garderie_soir]
    assert [s.activity for s in er.services_offered(campaign=campaign, child=lise)] == [town.repas_primaire, town.garderie_soir]
    service_of(campaign, town.garderie_soir).schools.add(town.elementaire)
    assert [s.activity for s in er.services_offered(campaign=campaign, child=junior)] == [town.repas_maternelle]


def test_a_request_starts_as_a_draft_only_while_the_campaign_is_open(campaign, family):
    with pytest.raises(EnrolmentRequestError, match="La campagne d'inscription est fermée."):
        started(campaign, family, now=OPENS - datetime.timedelta(minutes=1))
    draft = started(campaign, family)
    assert draft.status == EnrolmentRequest.Status.DRAFT and draft.created_by == family.parent
    assert started(campaign, family) == draft  # the same request on every visit
    with pytest.raises(EnrolmentRequestError, match="Cet enfant n'est pas dans votre foyer."):
        er.request_start(campaign=campaign, child=family.children[0], guardian=factories.ParentFactory(
            household=factories.HouseholdFactory(reference="X"), email="x@example.org"), now=NOW)


def test_a_draft_keeps_everything_entered_and_refuses_a_service_not_offered(campaign, family, town):
    draft = started(campaign, family)
    soir = service_of(campaign, town.garderie_soir)
    health = {"allergies": "Arachide", "diet": "Sans porc", "has_pai": True, "doctor_name": "Dr Martin",
              "emergency_contacts": [{"name": "Mamie", "phone": "0611223344", "relation": "grand-mère"},
                                     {"name": "", "phone": "", "relation": ""}],
              "authorised_people": [{"name": "Tonton", "phone": "0699887766", "relation": "oncle"}],
              "photo_consent": True, "may_leave_alone": True}
    er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW,
                    services={soir.pk: [0, 2, 3, 6]}, health=health)
    draft.refresh_from_db()
    assert (draft.allergies, draft.diet, draft.has_pai, draft.doctor_name) == ("Arachide", "Sans porc", True, "Dr Martin")
    assert draft.emergency_contacts == [{"name": "Mamie", "phone": "0611223344", "relation": "grand-mère"}]
    assert draft.photo_consent and not draft.may_leave_alone  # MS may not leave alone
    assert [rs.weekdays for rs in draft.requested_services.all()] == [[0, 3]]  # days the service runs
    primaire = service_of(campaign, town.repas_primaire)
    with pytest.raises(EnrolmentRequestError, match="pas proposée pour cet enfant"):
        er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW, services={primaire.pk: []}, health={})
    with pytest.raises(EnrolmentRequestError, match="nom et le téléphone"):
        er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW, services={},
                        health={"authorised_people": [{"name": "Sans téléphone"}]})


def test_sending_needs_a_service_and_the_required_documents(campaign, family, town):
    draft = started(campaign, family)
    with pytest.raises(EnrolmentRequestError, match="Choisissez au moins une prestation."):
        er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW)
    er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW,
                    services={service_of(campaign, town.repas_maternelle).pk: []}, health={})
    with pytest.raises(EnrolmentRequestError, match="Documents manquants : Attestation d'assurance."):
        er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW)
    insurance = campaign.services.first().required_documents.get()
    er.request_add_document(enrolment_request=draft, guardian=family.parent, document_type=insurance,
                            uploaded_file=pdf(), now=NOW)
    sent = er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW)
    assert sent.status == "submitted" and sent.submitted_at == NOW
    with pytest.raises(EnrolmentRequestError, match="ne peut plus être modifié"):
        er.request_save(enrolment_request=sent, guardian=family.parent, now=NOW, services={}, health={})


def test_a_document_already_valid_is_reused_and_an_expired_one_is_asked_again(campaign, family, town):
    insurance = campaign.services.first().required_documents.get()
    expired = document_upload(household=family.household, document_type=insurance, uploaded_file=pdf(),
                              valid_from=datetime.date(2026, 8, 1))  # until 2027-07-31: before the school year
    draft = started(campaign, family)
    er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW,
                    services={service_of(campaign, town.repas_maternelle).pk: []}, health={})
    assert er.missing_documents(enrolment_request=draft) == [insurance]
    valid = document_upload(household=family.household, document_type=insurance, uploaded_file=pdf(),
                            valid_from=datetime.date(2027, 4, 1))
    assert er.missing_documents(enrolment_request=draft) == []
    sent = er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW)
    assert list(sent.documents.all()) == [valid] and expired not in sent.documents.all()


def test_a_document_not_asked_or_from_another_household_is_refused(campaign, family, other_family, town):
    draft = started(campaign, family)
    insurance = campaign.services.first().required_documents.get()
    with pytest.raises(EnrolmentRequestError, match="n'est pas demandé"):
        er.request_add_document(enrolment_request=draft, guardian=family.parent, document_type=insurance,
                                uploaded_file=pdf(), now=NOW)
    with pytest.raises(EnrolmentRequestError, match="pas celui de votre foyer"):
        er.request_add_document(enrolment_request=draft, guardian=other_family.parent, document_type=insurance,
                                uploaded_file=pdf(), now=NOW)


def submitted(campaign, family, town, *, child=None, with_caf=False):
    draft = started(campaign, family, child=child)
    child = child or family.children[0]
    meal = town.repas_maternelle if child.is_maternelle else town.repas_primaire
    er.request_save(enrolment_request=draft, guardian=family.parent, now=NOW, health={"allergies": "Kiwi", "diet": "Végétarien"},
                    services={service_of(campaign, meal).pk: [], service_of(campaign, town.garderie_soir).pk: [0, 1]})
    insurance, caf = factories.DocumentTypeFactory(code="assurance"), factories.DocumentTypeFactory(code="caf")
    er.request_add_document(enrolment_request=draft, guardian=family.parent, document_type=insurance,
                            uploaded_file=pdf(), now=NOW)
    if with_caf:
        er.request_add_document(enrolment_request=draft, guardian=family.parent, document_type=caf,
                                uploaded_file=pdf("caf.pdf"), now=NOW)
    return er.request_submit(enrolment_request=draft, guardian=family.parent, now=NOW)


def test_acceptance_creates_the_year_enrolments_copies_the_health_form_and_accepts_the_documents(
        campaign, family, town, staff_agent):
    request = submitted(campaign, family, town)
    accepted = er.request_accept(enrolment_request=request, reviewer=staff_agent, now=NOW)
    assert accepted.status == "accepted" and accepted.decided_by == staff_agent
    junior = family.children[0]
    assert set(Enrolment.objects.filter(child=junior, school_year=campaign.school_year).values_list("activity", "status")) == {
        (town.repas_maternelle.pk, "accepted"), (town.garderie_soir.pk, "accepted")}
    junior.refresh_from_db()
    assert (junior.allergies, junior.diet) == ("Kiwi", "Végétarien")
    assert set(accepted.documents.values_list("status", flat=True)) == {"accepted"}
    # The usual days asked for (garderie: Monday and Tuesday) become the enrolment's.
    assert Enrolment.objects.get(child=junior, activity=town.garderie_soir, school_year=campaign.school_year).weekdays == [0, 1]
    with pytest.raises(EnrolmentRequestError, match="Seul un dossier envoyé"):
        er.request_accept(enrolment_request=request, reviewer=staff_agent, now=NOW)


def test_an_accepted_caf_attestation_records_the_new_quotient_with_its_history(campaign, family, town, staff_agent):
    factories.QuotientFamilialFactory(household=family.household, value=900, valid_from=datetime.date(2026, 1, 1))
    request = submitted(campaign, family, town, with_caf=True)
    with pytest.raises(EnrolmentRequestError, match="quotient familial lu sur l'attestation"):
        er.request_accept(enrolment_request=request, reviewer=staff_agent, now=NOW)
    er.request_accept(enrolment_request=request, reviewer=staff_agent, quotient_value=640, now=NOW)
    assert list(QuotientFamilial.objects.filter(household=family.household).values_list("value", "valid_from", "source")) == [
        (640, datetime.date(2027, 9, 1), "Attestation CAF"), (900, datetime.date(2026, 1, 1), "")]
    family.household.refresh_from_db()
    assert family.household.quotient_on(datetime.date(2027, 8, 31)) == 900
    assert family.household.quotient_on(datetime.date(2027, 9, 1)) == 640


def test_bulk_acceptance_skips_requests_needing_a_quotient_reading(campaign, family, town, staff_agent):
    junior_request = submitted(campaign, family, town)
    lise_request = submitted(campaign, family, town, child=family.children[1], with_caf=True)
    accepted, skipped = er.requests_accept(requests=[junior_request, lise_request], reviewer=staff_agent, now=NOW)
    assert [r.pk for r in accepted] == [junior_request.pk]
    assert [(r.pk, "quotient familial" in reason) for r, reason in skipped] == [(lise_request.pk, True)]


def test_asking_for_changes_lets_the_family_correct_and_send_again(campaign, family, town, staff_agent):
    request = submitted(campaign, family, town)
    with pytest.raises(EnrolmentRequestError, match="ce qu'il faut compléter"):
        er.request_ask_changes(enrolment_request=request, reviewer=staff_agent, message=" ", now=NOW)
    back = er.request_ask_changes(enrolment_request=request, reviewer=staff_agent, message="Attestation illisible", now=NOW)
    assert back.status == "incomplete" and back.staff_message == "Attestation illisible"
    after_close = CLOSES + datetime.timedelta(days=3)  # an incomplete request may be corrected after closing
    er.request_save(enrolment_request=back, guardian=family.parent, now=after_close, health={"diet": ""},
                    services={service_of(campaign, town.repas_maternelle).pk: []})
    assert er.request_submit(enrolment_request=back, guardian=family.parent, now=after_close).status == "submitted"


def test_refusal_needs_a_reason(campaign, family, town, staff_agent):
    request = submitted(campaign, family, town)
    with pytest.raises(EnrolmentRequestError, match="motif du refus"):
        er.request_refuse(enrolment_request=request, reviewer=staff_agent, message="", now=NOW)
    refused = er.request_refuse(enrolment_request=request, reviewer=staff_agent, message="Hors secteur", now=NOW)
    assert refused.status == "refused" and not Enrolment.objects.filter(school_year=campaign.school_year).exists()


def test_each_status_change_emails_the_guardians(campaign, family, town, staff_agent, django_capture_on_commit_callbacks):
    second = factories.GuardianFactory(household=family.household, email="second@example.org")
    request = submitted(campaign, family, town)
    er.request_ask_changes(enrolment_request=request, reviewer=staff_agent, message="Merci d'ajouter le PAI", now=NOW)
    er.request_submit(enrolment_request=request, guardian=family.parent, now=NOW)
    er.request_refuse(enrolment_request=request, reviewer=staff_agent, message="Hors secteur", now=NOW)
    other = submitted(campaign, family, town, child=family.children[1])
    er.request_accept(enrolment_request=other, reviewer=staff_agent, now=NOW)
    logs = EmailLog.objects.filter(kind="enrolment_request_status").order_by("pk")
    subjects = [log.subject for log in logs if log.recipient == "parent@example.org"]
    assert subjects == [
        "Dossier d'inscription reçu : Junior — 2027-2028",
        "Dossier d'inscription à compléter : Junior — 2027-2028",
        "Dossier d'inscription reçu : Junior — 2027-2028",
        "Inscription refusée : Junior — 2027-2028",
        "Dossier d'inscription reçu : Lise — 2027-2028",
        "Inscription acceptée : Lise — 2027-2028",
    ]
    assert logs.filter(recipient="second@example.org").count() == 6
    incomplete = logs.filter(subject__startswith="Dossier d'inscription à compléter").first()
    assert "Merci d'ajouter le PAI" in incomplete.body_text and "Merci d&#x27;ajouter le PAI" in incomplete.body_html
    assert "Hors secteur" in logs.get(recipient="parent@example.org", subject__startswith="Inscription refusée").body_text
    assert "MON ESPACE" in incomplete.body_html  # the shared layout


def test_the_emails_say_what_to_do_next_and_call_a_refusal_reason_a_reason(campaign, family, town, staff_agent,
                                                                           tmp_path):
    request = submitted(campaign, family, town)
    er.request_ask_changes(enrolment_request=request, reviewer=staff_agent, message="Merci d'ajouter le PAI", now=NOW)
    er.request_submit(enrolment_request=request, guardian=family.parent, now=NOW)
    er.request_refuse(enrolment_request=request, reviewer=staff_agent, message="Hors secteur", now=NOW)
    other = submitted(campaign, family, town, child=family.children[1])
    er.request_accept(enrolment_request=other, reviewer=staff_agent, now=NOW)
    logs = EmailLog.objects.filter(kind="enrolment_request_status", recipient="parent@example.org")
    incomplete = logs.get(subject__startswith="Dossier d'inscription à compléter")
    refused = logs.get(subject__startswith="Inscription refusée")
    accepted = logs.get(subject__startswith="Inscription acceptée")
    for log in (incomplete, refused, accepted):
        (tmp_path / f"{log.subject[:12]}.html").write_text(log.body_html)
    assert "Corrigez-le dans « Mes inscriptions », puis envoyez-le de nouveau." in incomplete.body_text
    assert "Message de la mairie :\nMerci d'ajouter le PAI" in incomplete.body_text
    assert "Motif du refus :\nHors secteur" in refused.body_text and "Motif du refus" in refused.body_html
    assert "Message de la mairie" not in refused.body_text
    assert "est acceptée pour les prestations ci-dessous." in accepted.body_text
    assert "Prestations :\n- Repas" in accepted.body_text and "Prestations demandées" not in accepted.body_text


def test_re_enrolment_is_prefilled_from_last_year_request(campaign, family, town, staff_agent):
    last = submitted(campaign, family, town)
    EnrolmentRequest.objects.filter(pk=last.pk).update(doctor_name="Dr Martin", photo_consent=True,
                                                       authorised_people=[{"name": "Mamie", "phone": "0611", "relation": "grand-mère"}])
    er.request_accept(enrolment_request=last, reviewer=staff_agent, now=NOW)
    next_year = factories.enrolment_campaign(town, opens_at=OPENS.replace(year=2028), closes_at=CLOSES.replace(year=2028),
                                             label="2028-2029")
    prefilled = er.request_start(campaign=next_year, child=family.children[0], guardian=family.parent,
                                 now=NOW.replace(year=2028))
    assert (prefilled.allergies, prefilled.diet, prefilled.doctor_name, prefilled.photo_consent) == (
        "Kiwi", "Végétarien", "Dr Martin", True)
    assert prefilled.authorised_people == [{"name": "Mamie", "phone": "0611", "relation": "grand-mère"}]
    assert sorted((rs.service.activity.code, rs.weekdays) for rs in prefilled.requested_services.all()) == [
        ("garderie-soir", [0, 1]), ("repas-maternelle", [])]
    assert prefilled.status == "draft" and prefilled.campaign == next_year
    assert HouseholdDocument.objects.filter(household=family.household).count() == 1


def test_rgpd_export_holds_the_forms_and_anonymisation_erases_them(campaign, family, town,
                                                                   django_capture_on_commit_callbacks):
    from core.services.rgpd import household_anonymise, household_export

    request = submitted(campaign, family, town)
    EnrolmentRequest.objects.filter(pk=request.pk).update(
        doctor_name="Dr Martin", authorised_people=[{"name": "Mamie", "phone": "0611", "relation": "grand-mère"}])
    exported = household_export(household=family.household)["dossiers_inscription"]
    assert exported[0]["allergies"] == "Kiwi" and exported[0]["doctor_name"] == "Dr Martin"
    assert exported[0]["prestations"] == ["Repas maternelle", "Garderie soir"]
    with django_capture_on_commit_callbacks(execute=True):
        household_anonymise(household=family.household)
    request.refresh_from_db()
    assert (request.allergies, request.doctor_name, request.authorised_people) == ("", "", [])
    assert not request.documents.exists() and not HouseholdDocument.objects.exists()

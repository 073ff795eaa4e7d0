"""A household's private files: what is accepted, where it is stored, who may read it."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.constants import PARIS
from core.models import HouseholdDocument
from core.services import documents
from core.services.documents import DocumentError, document_review, document_upload, documents_usable
from core.services.rgpd import household_anonymise, household_export
from tests import factories

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def insurance(db):
    return factories.DocumentTypeFactory(name="Attestation d'assurance", code="assurance", validity_months=12)


def upload(household, document_type, content=PDF, name="attestation.pdf", **kwargs):
    return document_upload(household=household, document_type=document_type,
                           uploaded_file=SimpleUploadedFile(name, content, content_type="application/pdf"),
                           now=NOW, **kwargs)


@pytest.mark.parametrize("content, mime, ext", [(PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"),
                                                (JPEG, "image/jpeg", "jpg")])
def test_an_upload_is_stored_under_a_random_name_with_its_type_read_from_the_content(family, insurance, content, mime, ext):
    document = upload(family.household, insurance, content, name="../../Mon attestation\x00.exe",
                      uploaded_by=family.parent)
    assert document.content_type == mime and document.size == len(content)
    assert document.file.name.startswith(f"documents/{family.household.pk}/") and document.file.name.endswith(f".{ext}")
    assert "attestation" not in document.file.name and len(document.file.name.rsplit("/", 1)[1]) == 32 + 1 + len(ext)
    assert document.original_name == "Mon attestation.exe"  # shown to people only
    assert default_storage.open(document.file.name).read() == content
    assert (document.valid_from, document.valid_until) == (datetime.date(2026, 6, 15), datetime.date(2027, 6, 14))
    assert document.status == HouseholdDocument.Status.PENDING and document.uploaded_by == family.parent


@pytest.mark.parametrize("content", [EXE, ELF, b"Bonjour, voici mon attestation", b"<html><script>alert(1)</script>"])
def test_a_renamed_executable_or_any_other_content_is_refused(family, insurance, content):
    with pytest.raises(DocumentError, match="Ce fichier n'est pas accepté : envoyez un document PDF, JPEG ou PNG."):
        upload(family.household, insurance, content, name="attestation-caf.pdf")
    assert not HouseholdDocument.objects.exists()
    assert not default_storage.exists(f"documents/{family.household.pk}") or not default_storage.listdir(
        f"documents/{family.household.pk}")[1]


def test_an_empty_or_too_large_file_is_refused(family, insurance):
    with pytest.raises(DocumentError, match="Le fichier est vide."):
        upload(family.household, insurance, b"")
    with pytest.raises(DocumentError, match="dépasse la taille maximale de 10 Mo"):
        upload(family.household, insurance, PDF + b"0" * (10 * 1024 * 1024))
    assert upload(family.household, insurance, PDF + b"0" * (10 * 1024 * 1024 - len(PDF))).size == 10 * 1024 * 1024


def test_a_guardian_of_another_household_cannot_upload_for_this_one(family, other_family, insurance):
    with pytest.raises(DocumentError):
        upload(family.household, insurance, uploaded_by=other_family.parent)


def test_a_valid_document_is_reused_and_an_expired_or_refused_one_is_not(family, other_family, insurance, staff_agent):
    caf = factories.DocumentTypeFactory(name="Attestation CAF", code="caf", validity_months=None, carries_quotient=True)
    old = upload(family.household, insurance, valid_from=datetime.date(2025, 1, 10))  # until 2026-01-09
    refused = upload(family.household, caf)
    document_review(document=refused, accept=False, note="Illisible", reviewer=staff_agent)
    current = upload(family.household, insurance, valid_from=datetime.date(2026, 5, 2))
    upload(other_family.household, caf)
    on = datetime.date(2026, 9, 1)
    assert documents_usable(household=family.household, on=on) == {insurance.pk: current}
    assert documents_usable(household=family.household, on=datetime.date(2025, 12, 1)) == {insurance.pk: old}


def test_an_accepted_document_wins_over_a_newer_one_awaiting_review(family, insurance, staff_agent):
    accepted = document_review(document=upload(family.household, insurance, valid_from=datetime.date(2026, 5, 1)),
                               accept=True, reviewer=staff_agent)
    upload(family.household, insurance, valid_from=datetime.date(2026, 6, 1))
    assert documents_usable(household=family.household, on=datetime.date(2026, 9, 1))[insurance.pk] == accepted


def test_refusing_a_document_needs_a_reason(family, insurance, staff_agent):
    document = upload(family.household, insurance)
    with pytest.raises(DocumentError, match="motif du refus"):
        document_review(document=document, accept=False, note="  ", reviewer=staff_agent)
    reviewed = document_review(document=document, accept=True, reviewer=staff_agent, valid_from=datetime.date(2026, 9, 1),
                               now=NOW)
    assert (reviewed.status, reviewed.valid_until, reviewed.reviewed_by) == ("accepted", datetime.date(2027, 8, 31), staff_agent)


def test_anonymising_a_household_deletes_its_files_and_the_export_lists_them(family, insurance, django_capture_on_commit_callbacks):
    document = upload(family.household, insurance)
    exported = household_export(household=family.household)["documents"]
    assert exported[0]["fichier"] == "attestation.pdf" and exported[0]["type"] == "Attestation d'assurance"
    with django_capture_on_commit_callbacks(execute=True):
        household_anonymise(household=family.household)
    assert not HouseholdDocument.objects.exists()
    assert not default_storage.exists(document.file.name)


# --- Served only to who may read it --------------------------------------------------------------


def test_a_guardian_sees_the_household_document_with_safe_headers(client, family, insurance):
    document = upload(family.household, insurance, PNG, name="carte.png")
    client.force_login(family.user)
    response = client.get(reverse("portail:document_file", args=[document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="carte.png"'
    download = client.get(reverse("portail:document_file", args=[document.pk]), {"telecharger": ""})
    assert download["Content-Disposition"] == 'attachment; filename="carte.png"'


def test_another_household_document_is_a_404(client, family, other_family, insurance):
    document = upload(other_family.household, insurance)
    client.force_login(family.user)
    assert client.get(reverse("portail:document_file", args=[document.pk])).status_code == 404


def test_staff_with_the_view_permission_see_a_document_others_do_not(client, family, insurance, gestionnaire):
    document = upload(family.household, insurance)
    url = reverse("admin:core_householddocument_file", args=[document.pk])
    client.force_login(gestionnaire)
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    no_role = factories.RoleStaffFactory(email="stagiaire@mairie.test", role=None)
    client.force_login(no_role)
    assert client.get(url).status_code in (302, 403)
    client.force_login(family.user)
    assert client.get(url).status_code == 302  # the admin's login page: not staff


def test_staff_upload_through_the_admin_goes_through_the_same_checks(client, family, insurance, staff_agent):
    client.force_login(staff_agent)
    url = reverse("admin:core_householddocument_add")
    data = {"household": family.household.pk, "document_type": insurance.pk, "valid_from": "01/09/2026"}
    refused = client.post(url, {**data, "upload": SimpleUploadedFile("virus.pdf", EXE)})
    assert refused.status_code == 200 and "Ce fichier n&#x27;est pas accepté" in refused.content.decode()
    assert not HouseholdDocument.objects.exists()
    response = client.post(url, {**data, "upload": SimpleUploadedFile("assurance.pdf", PDF)})
    assert response.status_code == 302, response.content.decode()[:2000]
    document = HouseholdDocument.objects.get()
    assert document.original_name == "assurance.pdf" and document.valid_until == datetime.date(2027, 8, 31)
    change = reverse("admin:core_householddocument_change", args=[document.pk])
    page = client.get(change)
    assert page.status_code == 200 and "assurance.pdf" in page.content.decode()
    review = {"status": "refused", "review_note": "", "valid_from": "01/09/2026", "valid_until": "31/08/2027"}
    assert "motif du refus" in client.post(change, review).content.decode()
    assert client.post(change, {**review, "review_note": "Document illisible"}).status_code == 302
    document.refresh_from_db()
    assert (document.status, document.review_note, document.reviewed_by) == ("refused", "Document illisible", staff_agent)


# --- Reminder of documents that end before the next school year --------------------------------


def test_families_are_reminded_once_of_documents_ending_before_the_next_school_year(
        family, other_family, insurance, staff_agent, django_capture_on_commit_callbacks):
    from core.models import EmailLog
    from core.services.documents import documents_remind_expiring

    factories.SchoolYearFactory(label="2027-2028", start_date=datetime.date(2027, 9, 1), end_date=datetime.date(2028, 7, 3))
    caf = factories.DocumentTypeFactory(name="Attestation CAF", code="caf", validity_months=12)
    ending = document_review(document=upload(family.household, insurance, valid_from=datetime.date(2026, 8, 1)),
                             accept=True, reviewer=staff_agent)  # until 2027-07-31
    replaced = document_review(document=upload(family.household, caf, valid_from=datetime.date(2026, 7, 1)),
                               accept=True, reviewer=staff_agent)
    upload(family.household, caf, valid_from=datetime.date(2027, 5, 1))  # its replacement, awaiting review
    upload(other_family.household, insurance, valid_from=datetime.date(2026, 8, 1))  # not accepted: not reminded
    too_early = datetime.datetime(2027, 4, 1, 9, 0, tzinfo=PARIS)  # the school year starts in more than 120 days
    assert documents_remind_expiring(now=too_early) == []
    in_window = datetime.datetime(2027, 6, 1, 9, 0, tzinfo=PARIS)
    logs = documents_remind_expiring(now=in_window)
    assert [(log.recipient, log.subject) for log in logs] == [("parent@example.org", "Documents à renouveler avant la rentrée")]
    assert "Attestation d'assurance : valable jusqu'au 31/07/2027" in logs[0].body_text
    assert "Attestation CAF" not in logs[0].body_text
    ending.refresh_from_db(), replaced.refresh_from_db()
    assert ending.expiry_reminded_at == in_window and replaced.expiry_reminded_at is None
    assert documents_remind_expiring(now=in_window + datetime.timedelta(days=7)) == []
    assert EmailLog.objects.filter(kind="documents_expiring").count() == 1


def test_the_weekly_schedule_runs_the_reminder_task(db):
    from django_q.models import Schedule

    from core import tasks

    schedule = Schedule.objects.get(func="core.tasks.remind_expiring_documents")
    assert schedule.schedule_type == Schedule.WEEKLY and schedule.repeats == -1
    assert tasks.remind_expiring_documents() == 0


def test_the_household_page_lists_its_documents(client, family, insurance, staff_agent):
    document = upload(family.household, insurance, name="assurance-2026.pdf")
    client.force_login(staff_agent)
    page = client.get(reverse("admin:core_household_change", args=[family.household.pk])).content.decode()
    assert "assurance-2026.pdf" in page and reverse("admin:core_householddocument_file", args=[document.pk]) in page


# --- Retention: the documents of a departed household ---------------------------------------------


def test_documents_of_a_household_gone_longer_than_the_retention_are_deleted_files_and_rows(
        family, other_family, insurance, settings, django_capture_on_commit_callbacks, caplog):
    settings.DOCUMENT_RETENTION_MONTHS = 12
    kept = upload(family.household, insurance)
    gone = upload(other_family.household, insurance, name="vieux.pdf")
    other_family.household.left_on = datetime.date(2025, 6, 14)  # 12 months and a day before NOW
    other_family.household.save()
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("INFO", logger="core.services.documents"):
        assert documents.documents_purge_departed(now=NOW) == 1
    assert list(HouseholdDocument.objects.all()) == [kept]
    assert default_storage.exists(kept.file.name) and not default_storage.exists(gone.file.name)
    assert f"Documents du foyer {other_family.household.reference} (parti le 2025-06-14) supprimés : 1." in caplog.text
    other_family.household.refresh_from_db()
    assert other_family.household.anonymised_at is None  # the household itself waits for its anonymisation
    with django_capture_on_commit_callbacks(execute=True):
        assert documents.documents_purge_departed(now=NOW) == 0  # a rerun deletes nothing more


def test_documents_of_a_household_gone_within_the_retention_or_still_in_town_stay(family, insurance, settings):
    settings.DOCUMENT_RETENTION_MONTHS = 12
    upload(family.household, insurance)
    family.household.left_on = datetime.date(2025, 6, 15)  # exactly 12 months before NOW: not yet
    family.household.save()
    assert documents.documents_purge_departed(now=NOW) == 0
    settings.DOCUMENT_RETENTION_MONTHS = 6
    assert documents.documents_purge_departed(now=NOW) == 1


def test_the_daily_schedule_runs_the_documents_purge(db):
    from django_q.models import Schedule

    from core import tasks

    schedule = Schedule.objects.get(func="core.tasks.purge_departed_documents")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert tasks.purge_departed_documents() == 0


def test_the_retention_must_be_shorter_than_the_anonymisation_delay(settings):
    from core.checks import check_retention_settings

    settings.RGPD_RETENTION_YEARS, settings.DOCUMENT_RETENTION_MONTHS = 5, 12
    assert check_retention_settings(None) == []
    settings.DOCUMENT_RETENTION_MONTHS = 60
    assert [error.id for error in check_retention_settings(None)] == ["core.E006"]
    settings.DOCUMENT_RETENTION_MONTHS, settings.ACCOUNT_REQUEST_RETENTION_DAYS = 0, 0
    assert [error.id for error in check_retention_settings(None)] == ["core.E006", "core.E007"]


def test_staff_see_the_retention_on_the_documents_list_and_the_departure_date(client, staff_agent, family, settings):
    settings.DOCUMENT_RETENTION_MONTHS, settings.RGPD_RETENTION_YEARS = 18, 5
    client.force_login(staff_agent)
    staff_client = client
    response = staff_client.get(reverse("admin:core_householddocument_changelist"))
    assert "supprimés, fichiers compris, 18 mois après son départ" in response.content.decode()
    response = staff_client.get(reverse("admin:core_household_change", args=[family.household.pk]))
    assert "Ses documents sont supprimés 18 mois après cette date, le foyer est anonymisé 5 ans après." in (
        response.content.decode())

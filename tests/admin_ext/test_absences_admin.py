import datetime

from django.urls import reverse

from core.models import AbsenceDeclaration, AbsenceReason, Attendance
from core.services.absences import absence_declare
from core.services.deadlines import PARIS
from tests.core.test_billing import MON, TUE, book

NOW = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=PARIS)
URL = reverse("admin:core_absencedeclaration_changelist")


def _declared(family, town):
    junior = family.children[0]
    book(junior, town.repas_maternelle, MON, TUE)
    declaration, _ = absence_declare(
        guardian=family.parent, child=junior, start=MON, end=TUE, reason=AbsenceReason.objects.get_or_create(label="Maladie")[0], now=NOW
    )
    return declaration


def test_a_gestionnaire_sees_pending_absences_and_accepts_one(client, gestionnaire, family, town):
    declaration = _declared(family, town)
    client.force_login(gestionnaire)
    assert "Junior" in client.get(URL).text
    change = reverse("admin:core_absencedeclaration_change", args=[declaration.pk])
    page = client.get(change).text
    assert "Décision" in page and "Accepter" in page and "lundi 7 décembre" in page
    response = client.post(change, {"decision": "accept", "refusal": ""})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == "accepted" and declaration.reviewed_by == gestionnaire
    assert Attendance.objects.filter(status="absent_justified").count() == 2
    assert client.get(change).status_code == 200  # read-only once decided
    client.post(change, {"decision": "refuse", "refusal": "Non"})
    assert AbsenceDeclaration.objects.get().status == "accepted"


def test_a_refusal_without_reason_is_shown_in_french_and_nothing_changes(client, gestionnaire, family, town):
    declaration = _declared(family, town)
    client.force_login(gestionnaire)
    change = reverse("admin:core_absencedeclaration_change", args=[declaration.pk])
    response = client.post(change, {"decision": "refuse", "refusal": " "})
    assert response.status_code == 200 and "Indiquez le motif du refus" in response.text
    assert AbsenceDeclaration.objects.get().status == "pending"
    assert client.get(reverse("admin:core_absencedeclaration_add")).status_code == 403


def test_the_dashboard_counts_pending_absences_for_the_gestionnaire(client, gestionnaire, family, town):
    _declared(family, town)
    client.force_login(gestionnaire)
    page = client.get(reverse("admin:index")).text
    assert "Absences à examiner" in page
    assert 'id="absences-pending">1</div>' in page


def _with_certificate_rule(town):
    from core.models import AbsenceCertificateRule

    town.repas_maternelle.absence_certificate_rule = AbsenceCertificateRule.ALWAYS
    town.repas_maternelle.save()


def test_a_missing_certificate_keeps_the_absence_pending_with_a_french_message(frozen_now, client, gestionnaire, family, town):
    _with_certificate_rule(town)
    declaration = _declared(family, town)
    client.force_login(gestionnaire)
    listing = client.get(URL, {"certificat": "attendu"}).text
    assert "Attendu (jusqu&#x27;au 15/12/2026)" in listing
    change = reverse("admin:core_absencedeclaration_change", args=[declaration.pk])
    page = client.get(change).text
    assert "Exigé, pas encore reçu : la famille peut l&#x27;ajouter jusqu&#x27;au 15/12/2026" in page
    response = client.post(change, {"decision": "accept", "refusal": ""})
    assert response.status_code == 200
    assert "n&#x27;a pas été envoyé : l&#x27;absence reste à examiner" in response.text
    assert AbsenceDeclaration.objects.get().status == "pending" and not Attendance.objects.exists()
    response = client.post(change, {"decision": "refuse", "refusal": "Certificat médical non reçu"})
    assert response.status_code == 302 and AbsenceDeclaration.objects.get().status == "refused"


def test_staff_see_the_certificate_inline_and_only_they_may_open_it(
    frozen_now, client, gestionnaire, regisseur, family, town, media_root
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.services.absences import absence_certificate_add
    from tests.core.test_documents import PDF, PNG

    _with_certificate_rule(town)
    declaration = _declared(family, town)
    file_url = reverse("admin:core_absencedeclaration_certificate", args=[declaration.pk])
    change = reverse("admin:core_absencedeclaration_change", args=[declaration.pk])
    client.force_login(gestionnaire)
    assert client.get(file_url).status_code == 404  # nothing sent yet
    absence_certificate_add(guardian=family.parent, declaration=declaration, now=NOW,
                            uploaded_file=SimpleUploadedFile("certificat.png", PNG))
    assert "Reçu" in client.get(URL).text
    page = client.get(change).text
    assert f'<img src="{file_url}" alt="Certificat médical de Junior TEST"' in page
    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG

    absence_certificate_add(guardian=family.parent, declaration=declaration, now=NOW,
                            uploaded_file=SimpleUploadedFile("scan.pdf", PDF))
    assert f'<iframe src="{file_url}" title="Certificat médical de Junior TEST"' in client.get(change).text
    assert client.post(change, {"decision": "accept", "refusal": ""}).status_code == 302
    assert Attendance.objects.filter(status="absent_justified").count() == 2

    client.force_login(regisseur)  # may not view absences
    assert client.get(file_url).status_code == 403
    client.logout()
    assert client.get(file_url).status_code == 302

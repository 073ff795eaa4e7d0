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

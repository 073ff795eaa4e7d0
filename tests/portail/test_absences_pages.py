"""« Déclarer une absence » in the portal, without JavaScript."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse

from core.models import AbsenceDeclaration, AbsenceReason, EmailLog
from core.services.deadlines import PARIS
from tests.core.test_billing import MON, THU, TUE, book

NOW = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=PARIS)
PAGE = reverse("portail:absences")


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def parent(client, family):
    client.force_login(family.user)
    return client


def test_a_parent_declares_a_late_absence_and_sees_it_pending(parent, family, town):
    junior = family.children[0]
    book(junior, town.repas_maternelle, MON, TUE, THU)
    maladie = AbsenceReason.objects.get_or_create(label="Maladie")[0]
    page = parent.get(PAGE).text
    assert "Déclarer une absence" in page and "48 heures après le jour" in page and "Maladie" in page
    response = parent.post(PAGE, {"child": junior.pk, "start": "2026-12-07", "end": "2026-12-10", "reason": maladie.pk})
    assert response.status_code == 302
    declaration = AbsenceDeclaration.objects.get()
    assert declaration.days.count() == 2 and declaration.declared_by == family.user
    page = parent.get(PAGE).text
    assert "Absence de Junior déclarée (2 jours)" in page and "encore annulable" in page
    assert "À examiner" in page and "lundi 7 décembre 2026" in page
    assert EmailLog.objects.filter(kind="absence_declared").count() == 1


def test_the_form_says_in_french_what_is_wrong(parent, family, town):
    response = parent.post(PAGE, {"start": "2026-12-07", "end": "2026-12-01"})
    text = response.text
    assert response.status_code == 400
    assert "Choisissez l&#x27;enfant absent." in text and "La date de fin doit suivre la date de début." in text
    assert 'aria-invalid="true"' in text
    response = parent.post(PAGE, {"child": family.children[0].pk, "start": "2026-12-07", "reason": AbsenceReason.objects.get_or_create(label="Maladie")[0].pk})
    assert "n&#x27;a aucune réservation sur ces jours" in response.text
    assert not AbsenceDeclaration.objects.exists()

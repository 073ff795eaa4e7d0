"""The week grid shows the days a parent declared absent, with the service's decision; the
model week starts from the enrolment's usual days, which an accepted request fills."""

import datetime

import pytest

from core.models import AbsenceReason, Enrolment
from core.services.absences import absence_declare, absence_review
from core.services.bookings import week_view
from core.services.model_weeks import model_week_prefill, model_week_save
from tests.core.test_billing import MON, TUE, book

SICK_MORNING = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def maladie(db):
    return AbsenceReason.objects.get_or_create(label="Maladie")[0]


def cells(family):
    view = week_view(guardian=family.parent, day=MON, now=SICK_MORNING)
    junior = view.children[0]
    return {cell.date: cell for cell in junior.rows[0].cells}


def test_declared_days_show_the_latest_decision_with_an_accessible_name(family, town, maladie, staff_agent):
    junior = family.children[0]
    book(junior, town.repas_maternelle, MON, TUE)
    assert cells(family)[MON].absence is None

    refused, _ = absence_declare(guardian=family.parent, child=junior, start=MON, end=MON, reason=maladie, now=SICK_MORNING)
    absence_review(declaration_id=refused.pk, accept=False, refusal_reason="Non", staff_user=staff_agent)
    monday = cells(family)[MON]
    assert monday.absence == "refused" and monday.absence_label == "absence refusée, facturée"
    assert monday.accessible_name == (
        "Junior TEST, Repas maternelle, lundi 7 décembre : réservé, délai dépassé, absence refusée, facturée"
    )

    absence_declare(guardian=family.parent, child=junior, start=MON, end=MON, reason=maladie, now=SICK_MORNING)
    accepted, _ = absence_declare(guardian=family.parent, child=junior, start=TUE, end=TUE, reason=maladie, now=SICK_MORNING)
    absence_review(declaration_id=accepted.pk, accept=True, staff_user=staff_agent)
    week = cells(family)
    assert week[MON].absence == "pending" and week[MON].accessible_name.endswith("absence déclarée, à examiner")
    assert week[TUE].absence == "accepted" and week[TUE].accessible_name.endswith("absence justifiée, non facturée")


def test_the_model_week_starts_from_the_enrolment_usual_days_until_one_is_saved(family, town):
    junior, lise = family.children
    Enrolment.objects.filter(child=junior, activity=town.repas_maternelle).update(weekdays=[0, 1, 3])
    Enrolment.objects.filter(child=lise, activity=town.repas_primaire).update(weekdays=[0, 1, 3, 4])
    model_week_save(guardian=family.parent, child=lise, days={town.repas_primaire.pk: [0]})

    weeks, proposed = model_week_prefill(children=[junior, lise])

    assert weeks[junior.pk] == {town.repas_maternelle.pk: [0, 1, 3]}
    assert weeks[lise.pk] == {town.repas_primaire.pk: [0]}  # saved: the enrolment's days no longer count
    assert proposed == {(junior.pk, town.repas_maternelle.pk)}


def test_usual_days_outside_the_service_days_are_refused_on_the_enrolment(family, town):
    from django.core.exceptions import ValidationError

    enrolment = Enrolment.objects.get(child=family.children[0], activity=town.repas_maternelle)
    enrolment.weekdays = [5]  # Saturday: the canteen does not run
    with pytest.raises(ValidationError, match="ne fonctionne pas tous ces jours-là"):
        enrolment.full_clean()

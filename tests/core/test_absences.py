"""Absences declared by a parent past the cancellation deadline, reviewed by staff, not billed."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AbsenceDeclaration, AbsenceReason, Attendance, EmailLog, InvoiceRun
from core.services.absences import absence_declare, absence_review
from core.services.billing import household_month_lines
from core.services.deadlines import PARIS
from tests import factories
from tests.core.test_billing import DECEMBER, MON, THU, TUE, book, junior, priced  # noqa: F401


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


SICK_MORNING = paris(2026, 12, 8, 8, 0)  # Tuesday: Monday and Tuesday are past their cancellation deadline


@pytest.fixture
def maladie(db):
    return AbsenceReason.objects.get_or_create(label="Maladie")[0]


def declare(family, child, start, end, reason, now=SICK_MORNING):
    return absence_declare(guardian=family.parent, child=child, start=start, end=end, reason=reason, comment="Gastro", now=now)


def test_a_late_absence_accepted_by_staff_is_not_billed(family, town, junior, maladie, staff_agent):  # noqa: F811
    book(junior, town.repas_maternelle, MON, TUE, THU)
    declaration, left_out = declare(family, junior, MON, THU, maladie)

    assert [(d.activity_id, d.date) for d in declaration.days.all()] == [(town.repas_maternelle.pk, MON), (town.repas_maternelle.pk, TUE)]
    assert left_out == ["Repas maternelle, Jeu. 10 déc. : encore annulable, annulez-le dans le panier (sans justificatif)."]
    assert declaration.status == "pending"
    [sent] = EmailLog.objects.filter(kind="absence_declared")
    assert sent.recipient == "parent@example.org" and "lundi 7 décembre" in sent.body_text

    absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent, now=SICK_MORNING)

    assert set(Attendance.objects.values_list("date", "status")) == {(MON, "absent_justified"), (TUE, "absent_justified")}
    [line] = household_month_lines(household=family.household, regie=town.regie, month=DECEMBER)
    assert line.dates == [THU] and line.amount == Decimal("3.70")
    reviewed = EmailLog.objects.get(kind="absence_reviewed")
    assert "acceptée" in reviewed.subject and "ne seront pas facturés" in reviewed.body_text


def test_a_refused_absence_needs_a_reason_and_stays_billed(family, town, junior, maladie, staff_agent):  # noqa: F811
    book(junior, town.repas_maternelle, MON)
    declaration, _ = declare(family, junior, MON, MON, maladie)
    with pytest.raises(ValidationError, match="motif du refus"):
        absence_review(declaration_id=declaration.pk, accept=False, staff_user=staff_agent)
    absence_review(declaration_id=declaration.pk, accept=False, refusal_reason="Hors délai de prévenance", staff_user=staff_agent)
    assert not Attendance.objects.exists()
    assert household_month_lines(household=family.household, regie=town.regie, month=DECEMBER)[0].dates == [MON]
    assert "Hors délai de prévenance" in EmailLog.objects.get(kind="absence_reviewed").body_text
    with pytest.raises(ValidationError, match="déjà été examinée"):
        absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent)


def test_days_too_late_or_already_declared_or_without_booking_are_refused(family, town, maladie):
    junior = family.children[0]
    book(junior, town.repas_maternelle, MON)
    with pytest.raises(ValidationError, match="trop tard"):
        declare(family, junior, MON, MON, maladie, now=paris(2026, 12, 10, 0, 1))  # 48 h after Monday's end
    declare(family, junior, MON, MON, maladie, now=paris(2026, 12, 9, 23, 59))
    with pytest.raises(ValidationError, match="déjà déclarée"):
        declare(family, junior, MON, MON, maladie)
    with pytest.raises(ValidationError, match="aucune réservation"):
        declare(family, junior, TUE, TUE, maladie)


def test_the_limit_after_the_day_is_configurable(family, town, maladie, settings):
    settings.ABSENCE_DECLARATION_HOURS = 72
    junior = family.children[0]
    book(junior, town.repas_maternelle, MON)
    declaration, _ = declare(family, junior, MON, MON, maladie, now=paris(2026, 12, 10, 12, 0))
    assert declaration.days.count() == 1


def test_a_parent_declares_only_for_the_own_household(family, other_family, town, maladie):
    with pytest.raises(PermissionDenied):
        declare(family, other_family.children[0], MON, MON, maladie)


def test_accepting_a_day_already_invoiced_is_refused_and_changes_nothing(family, town, junior, maladie, staff_agent):  # noqa: F811
    book(junior, town.repas_maternelle, MON)
    declaration, _ = declare(family, junior, MON, MON, maladie)
    factories.InvoiceRunFactory(regie=town.regie, month=DECEMBER, status=InvoiceRun.Status.ISSUED)
    with pytest.raises(ValidationError, match="déjà été facturé"):
        absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent)
    assert AbsenceDeclaration.objects.get().status == "pending" and not Attendance.objects.exists()

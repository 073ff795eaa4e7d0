import re
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import Booking, Guardian, QuotientBracket
from core.services.calendar import service_day_problem
from tests import factories

THURSDAY = datetime.date(2026, 12, 3)


def test_second_booking_of_same_child_activity_and_day_is_refused_by_the_database(family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=THURSDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            child=junior, activity=town.repas_maternelle, date=THURSDAY, booked_at=datetime.datetime.now(datetime.UTC)
        )


def test_booking_for_a_grade_the_activity_does_not_accept_is_refused_by_validation(family, town):
    junior = family.children[0]  # MS, maternelle
    problem = service_day_problem(child=junior, activity=town.repas_primaire, day=THURSDAY)
    assert "n'accepte pas les enfants de MS" in problem


def test_booking_for_an_enrolled_child_on_a_service_day_is_valid(family, town):
    assert service_day_problem(child=family.children[0], activity=town.repas_maternelle, day=THURSDAY) is None


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (datetime.date(2026, 12, 2), "n'a pas lieu ce jour de la semaine"),  # a Wednesday
        (datetime.date(2027, 5, 6), "Jour férié (Ascension)"),
        (datetime.date(2026, 10, 20), "Vacances de la Toussaint"),
        (datetime.date(2027, 7, 6), "Hors année scolaire"),
    ],
)
def test_booking_outside_service_days_is_refused_with_the_reason(family, town, day, message):
    assert re.search(re.escape(message), service_day_problem(child=family.children[0], activity=town.repas_maternelle, day=day))


def test_booking_for_a_child_not_enrolled_is_refused(other_family, town):
    child = other_family.children[0]
    assert "n'est pas inscrit" in service_day_problem(child=child, activity=town.garderie_soir, day=THURSDAY)


def test_cancelled_booking_must_say_when(family, town):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.BookingFactory(
            child=family.children[0], activity=town.repas_maternelle, status=Booking.Status.CANCELLED, cancelled_at=None
        )


def test_guardian_email_is_unique_when_set_and_blank_emails_do_not_collide(family):
    household = family.household
    factories.GuardianFactory(household=household, email=None)
    factories.GuardianFactory(household=household, email=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.GuardianFactory(household=household, email="parent@example.org")


def test_guardian_validation_stores_no_email_as_null_and_rejects_duplicates(family):
    guardian = factories.GuardianFactory.build(household=family.household, email="")
    guardian.full_clean()
    assert guardian.email is None
    duplicate = factories.GuardianFactory.build(household=family.household, email="PARENT@example.org")
    with pytest.raises(ValidationError, match="déjà celle d'un autre responsable"):
        duplicate.full_clean()


def test_a_household_has_at_most_one_billing_contact(separated_couple):
    father = separated_couple.guardians[1]
    father.is_billing_contact = True
    with pytest.raises(IntegrityError), transaction.atomic():
        father.save()


def test_separated_parents_each_have_their_own_login(separated_couple):
    mother, father = separated_couple.guardians
    assert mother.user != father.user
    assert {g.household_id for g in Guardian.objects.filter(user__isnull=False)} == {separated_couple.household.pk}


def test_child_level_follows_from_grade(family):
    junior, sister = family.children
    assert junior.is_maternelle and junior.level_label == "Maternelle"
    assert not sister.is_maternelle and sister.level_label == "Primaire"


def test_child_in_maternelle_grade_cannot_be_placed_in_an_elementary_school(family, town):
    junior = family.children[0]
    junior.school = town.elementaire
    with pytest.raises(ValidationError, match="ne correspond pas"):
        junior.full_clean()


def test_quotient_applies_from_its_date(family):
    household = family.household
    factories.QuotientFamilialFactory(household=household, value=1350, valid_from=datetime.date(2026, 9, 1))
    factories.QuotientFamilialFactory(household=household, value=800, valid_from=datetime.date(2027, 1, 1))
    assert household.quotient_on(datetime.date(2026, 8, 31)) is None
    assert household.quotient_on(datetime.date(2026, 12, 31)) == 1350
    assert household.quotient_on(datetime.date(2027, 1, 1)) == 800


def test_unknown_quotient_falls_in_the_highest_bracket(db):
    low = factories.QuotientBracketFactory(min_value=0, max_value=700)
    high = factories.QuotientBracketFactory(min_value=701, max_value=None)
    assert QuotientBracket.for_quotient(500) == low
    assert QuotientBracket.for_quotient(5000) == high
    assert QuotientBracket.for_quotient(None) == high


def test_overlapping_tariffs_are_refused(town):
    bracket = factories.QuotientBracketFactory()
    factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, valid_from=datetime.date(2026, 9, 1))
    overlapping = factories.TariffFactory.build(
        activity=town.repas_maternelle, bracket=bracket, unit_price=Decimal("4.00"), valid_from=datetime.date(2027, 1, 1)
    )
    with pytest.raises(ValidationError, match="couvre déjà"):
        overlapping.full_clean()


def test_negative_price_is_refused_by_the_database(town):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.TariffFactory(activity=town.repas_maternelle, unit_price=Decimal("-1.00"))


def test_weekly_rule_needs_a_weekday(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.DeadlineRuleFactory(kind="weekly", weekday=None)


def test_enrolment_in_an_activity_for_another_grade_is_refused(family, town):
    enrolment = factories.EnrolmentFactory.build(
        child=family.children[0], activity=town.repas_primaire, school_year=town.school_year
    )
    with pytest.raises(ValidationError, match="n'accepte pas"):
        enrolment.full_clean()


def test_activity_weekdays_and_grades_round_trip_through_the_database(town):
    activity = type(town.repas_maternelle).objects.get(pk=town.repas_maternelle.pk)
    assert activity.weekdays == [0, 1, 3, 4]
    assert activity.grades == ["PS", "MS", "GS"]


def test_attendance_without_booking_must_be_recorded_as_unbooked_presence(family, town):
    attendance = factories.AttendanceFactory.build(child=family.children[0], activity=town.repas_maternelle)
    with pytest.raises(ValidationError, match="Présent sans réservation"):
        attendance.full_clean()


def test_published_news_excludes_future_and_expired(db):
    from django.utils import timezone

    from core.models import News

    now = timezone.now()
    visible = factories.NewsFactory()
    factories.NewsFactory(published_from=now + datetime.timedelta(days=1))
    factories.NewsFactory(published_from=now - datetime.timedelta(days=10), published_until=now - datetime.timedelta(days=1))
    assert list(News.objects.published(now=now)) == [visible]

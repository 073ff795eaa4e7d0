"""The session's user comes with its guardian: a portal request does not look the guardian up again."""

import datetime

from django.urls import reverse

from core.auth import GuardianModelBackend
from core.services.reference import reference_data


def test_the_backend_loads_the_guardian_and_household_with_the_user(family, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = GuardianModelBackend().get_user(family.parent.user_id)
        assert user.guardian == family.parent
        assert user.guardian.household == family.household


def test_a_staff_user_without_guardian_is_still_loaded(staff_agent):
    user = GuardianModelBackend().get_user(staff_agent.pk)
    assert user == staff_agent and not hasattr(user, "guardian")


def test_an_inactive_user_is_not_loaded(family):
    family.parent.user.is_active = False
    family.parent.user.save()
    assert GuardianModelBackend().get_user(family.parent.user_id) is None


def test_the_week_api_costs_one_query_for_the_session_one_for_user_and_guardian_then_the_week(
    client, family, django_assert_num_queries
):
    client.force_login(family.parent.user)
    # session, user + guardian, then the week itself: the reference data's version token (school
    # years, closures and activities are held by the process while it holds), children,
    # enrolments, bookings, basket.
    reference_data()
    with django_assert_num_queries(7):
        response = client.get(reverse("api:week"), {"date": datetime.date(2026, 12, 7).isoformat()})
    assert response.status_code == 200

"""The staff lists of the biggest tables do not count every row of the table on each page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin_ext.paginators import LargeTablePaginator
from tests import factories


@pytest.fixture
def bookings(family, town):
    child = family.children[0]
    for offset in range(3):
        factories.BookingFactory(child=child, activity=town.repas_maternelle, date=datetime.date(2026, 12, 1 + offset))


def booking_counts(queries):
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and '"core_booking"' in q["sql"]]


@pytest.mark.postgres
def test_the_unfiltered_bookings_list_shows_the_estimated_size_without_counting(
    client, administrateur, bookings, monkeypatch
):
    monkeypatch.setattr(LargeTablePaginator, "estimate_from", 1)  # the demo is small; a town has millions
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_booking")
    client.force_login(administrateur)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:core_booking_changelist"))
    assert page.status_code == 200
    assert booking_counts(queries.captured_queries) == []
    assert page.context["cl"].result_count == 3  # the planner's estimate, exact after ANALYZE here

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:core_booking_changelist"), {"status__exact": "booked"})
    assert len(booking_counts(queries.captured_queries)) == 1  # a filtered list is counted exactly
    assert page.context["cl"].result_count == 3


def test_a_small_bookings_table_is_counted_exactly(client, administrateur, bookings):
    client.force_login(administrateur)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:core_booking_changelist"))
    assert len(booking_counts(queries.captured_queries)) == 1
    assert page.context["cl"].result_count == 3

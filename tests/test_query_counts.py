"""Query counts that must not grow with the data: each page is measured on a small household
(or a nearly empty list), then the data grows (children, bookings, invoices, payments, emails,
households) and the page must cost no more queries than before.

The week page and a week-grid click have their own tests in tests/portail; this file covers the
other portal pages (Factures en cours and archivées included), the API and the main admin lists.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import EmailLog, Payment
from tests import factories

DAY = datetime.date(2026, 12, 7)  # a Monday of the test school year
# Invoices runs: 01/2027 for the small state, 02/2027 onwards for the growth (the admin lists a
# filter choice per run, which is data, not a query per row).
CEILING = 40  # no page of this file comes near it: a guard against a measure taken on a broken page


def seed(family, town):
    """The small state measured first: one of each kind of row, so that every prefetch already runs."""
    grow_family(family, town, children=1, invoices=2, tag="S")
    grow_town(town, households=1, tag="S")


def grow(family, town):
    grow_family(family, town)
    grow_town(town)


def queries_of(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    assert len(queries) <= CEILING, (url, len(queries))
    return len(queries)


def grow_family(family, town, *, children=3, invoices=4, tag="G"):
    """More children, each enrolled and booked for two weeks, more invoices and payments."""
    household = family.household
    for n in range(children):
        child = factories.ChildFactory(household=household, first_name=f"Enfant{tag}{n}", grade="CP", school=town.elementaire)
        for activity in (town.repas_primaire, town.garderie_soir):
            factories.EnrolmentFactory(child=child, activity=activity, school_year=town.school_year)
            for offset in range(10):
                day = DAY + datetime.timedelta(days=offset)
                if day.weekday() < 5:
                    factories.BookingFactory(child=child, activity=activity, date=day)
    first_month = 1 if tag == "S" else 3
    for month in range(first_month, first_month + invoices):
        run = factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2027, month, 1))
        invoice = factories.InvoiceFactory(regie=town.regie, household=household, run=run)
        if month % 2:
            invoice.status = invoice.Status.PAID
            invoice.save(update_fields=["status"])
    for n in range(invoices):
        Payment.objects.create(
            household=household, regie=town.regie, method=Payment.Method.CHEQUE, status=Payment.Status.PAID,
            amount=Decimal("12.50"), created_at=timezone.now(), received_on=DAY, reference=f"CHQ{tag}{n}",
        )
        EmailLog.objects.create(
            kind="invoice_issued", recipient=family.parent.email, subject=f"Facture {tag}{n}", body_text="…", household=household
        )


def grow_town(town, *, households=4, tag="G"):
    """Other households, each with children, bookings, an invoice, a payment and an email."""
    for n in range(households):
        household = factories.HouseholdFactory(reference=f"GROW{tag}{n}", name=f"GROW{tag}{n}")
        guardian = factories.GuardianFactory(household=household, email=f"grow{tag}{n}@example.org", is_billing_contact=True)
        child = factories.ChildFactory(household=household, grade="CE2", school=town.elementaire)
        factories.BookingFactory(child=child, activity=town.repas_primaire, date=DAY)
        factories.BookingFactory(child=child, activity=town.repas_primaire, date=DAY + datetime.timedelta(days=1))
        run = factories.InvoiceRunFactory(regie=town.regie, month=datetime.date(2027, 1 if tag == "S" else 2 + n, 1))
        factories.InvoiceFactory(regie=town.regie, household=household, run=run)
        Payment.objects.create(
            household=household, regie=town.regie, guardian=guardian, method=Payment.Method.CASH,
            status=Payment.Status.PAID, amount=Decimal("3.10"), created_at=timezone.now(), received_on=DAY,
        )
        EmailLog.objects.create(kind="welcome", recipient=guardian.email, subject="Bienvenue", body_text="…", household=household)


PORTAL_PAGES = [
    ("portail:home", None),
    ("portail:enrolments", None),
    ("portail:period", None),
    ("portail:household", None),
    ("portail:invoices", None),
    ("portail:archived_invoices", None),
]
API_ENDPOINTS = [
    ("api:children", None),
    ("api:week", {"date": DAY.isoformat()}),
    ("api:basket", None),
]


@pytest.fixture
def parent_client(client, family):
    client.force_login(family.user)
    return client


@pytest.mark.parametrize(("name", "params"), PORTAL_PAGES + API_ENDPOINTS, ids=[n for n, _ in PORTAL_PAGES + API_ENDPOINTS])
def test_a_portal_page_costs_the_same_queries_for_a_larger_household(
    parent_client, family, town, name, params, django_assert_max_num_queries
):
    url = reverse(name)
    seed(family, town)
    small = queries_of(parent_client, url, params)
    grow(family, town)
    with django_assert_max_num_queries(small):
        assert parent_client.get(url, params or {}).status_code == 200


ADMIN_LISTS = [
    "admin:core_household_changelist",
    "admin:core_booking_changelist",
    "admin:core_invoice_changelist",
    "admin:core_payment_changelist",
    "admin:core_emaillog_changelist",
]


@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_an_admin_list_costs_the_same_queries_with_more_rows(
    client, administrateur, family, town, name, django_assert_max_num_queries
):
    client.force_login(administrateur)
    url = reverse(name)
    seed(family, town)
    small = queries_of(client, url)
    grow(family, town)
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200

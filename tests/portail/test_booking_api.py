import datetime
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from core.models import BasketItem, Booking
from core.services.calendar import BOOKING_HORIZON
from core.services.deadlines import PARIS
from tests import factories

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
MONDAY = "2026-12-07"


pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def api(client, family):
    client.force_login(family.user)
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def add_item(api, child, activity, date=MONDAY, action="book"):
    return post(api, "/api/v1/basket/items/", {"child_id": child.pk, "activity_id": activity.pk, "date": date, "action": action})


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/children/"),
        ("get", "/api/v1/week/"),
        ("get", "/api/v1/basket/"),
        ("post", "/api/v1/basket/items/"),
        ("post", "/api/v1/basket/validate/"),
    ],
)
def test_anonymous_is_refused(client, db, method, url):
    assert getattr(client, method)(url).status_code in (401, 403)


def test_a_user_who_is_not_a_guardian_is_refused(client, staff_agent):
    client.force_login(staff_agent)
    response = client.get("/api/v1/week/")
    assert response.status_code == 403 and "réservé aux responsables" in response.json()["detail"]


def test_unsafe_requests_need_the_csrf_token(family, town):
    client = Client(enforce_csrf_checks=True)
    client.force_login(family.user)
    response = add_item(client, family.children[0], town.repas_maternelle)
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert BasketItem.objects.count() == 0


# --- Children and week -------------------------------------------------------------------------------


def test_children_lists_only_the_household_with_enrolments(api, family, other_family, town):
    data = api.get("/api/v1/children/").json()
    assert [c["first_name"] for c in data] == ["Junior", "Lise"]
    assert sorted(e["activity_name"] for e in data[1]["enrolments"]) == ["Garderie soir", "Repas primaire"]
    assert data[0]["enrolments"][0] | {"id": None} == {
        "id": None, "activity_id": town.repas_maternelle.pk, "activity_name": "Repas maternelle",
        "school_year": "2026-2027", "status": "accepted", "status_label": "Validée",
    }


def test_week_view_of_the_household(api, family, town):
    factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=datetime.date(2026, 12, 7))
    data = api.get("/api/v1/week/", {"date": "2026-12-09"}).json()
    assert data["week_start"] == MONDAY and data["label"] == "Semaine du 07/12/2026 au 11/12/2026"
    junior = data["children"][0]
    cell = junior["rows"][0]["cells"][0]
    assert cell == {
        "date": MONDAY, "state": "booked", "is_booked": True, "closure_reason": None,
        "deadline": "2026-12-03T10:00:00+01:00", "deadline_label": "jeudi 03/12 à 10h00", "pending": None,
        "can_change": True, "day_label": "Lun. 07/12", "absence": None, "absence_label": None, "status_label": "réservé",
        "accessible_name": "Junior TEST, Repas maternelle, lundi 7 décembre : réservé",
    }


def test_the_plain_week_json_is_the_documented_serializer_s(api, family, town):
    """The week is written without DRF's fields (speed); WeekViewSerializer stays its schema."""
    from portail.api.serializers import WeekViewSerializer
    from core.services.bookings import week_view

    junior, lise = family.children
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=datetime.date(2026, 12, 7))
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=datetime.date(2026, 11, 23))
    factories.ClosureFactory(name="Grève", start_date=datetime.date(2026, 12, 10), end_date=datetime.date(2026, 12, 10))
    assert add_item(api, lise, town.garderie_soir, date="2026-12-08").status_code == 201
    for day in ("2026-11-23", MONDAY):
        data = api.get("/api/v1/week/", {"date": day}).json()
        view = week_view(guardian=family.parent, day=datetime.date.fromisoformat(day), now=NOW)
        assert data == WeekViewSerializer(view).data
    states = {c["state"] for child in data["children"] for row in child["rows"] for c in row["cells"]}
    assert {"booked", "not_booked", "closed"} <= states and data["pending_count"] == 1


def test_week_defaults_to_the_current_week(api, family):
    assert api.get("/api/v1/week/").json()["week_start"] == "2026-11-16"


def test_week_with_a_bad_date_is_a_french_error(api, family):
    response = api.get("/api/v1/week/", {"date": "demain"})
    assert response.status_code == 400 and "date" in response.json()
    assert "format" in response.json()["date"][0].lower()


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31", "2028-11-22"])
def test_week_beyond_the_booking_horizon_is_a_french_error(api, family, far):
    response = api.get("/api/v1/week/", {"date": far})
    assert response.status_code == 400 and response.json()["date"] == ["Choisissez une date à moins de deux ans d'aujourd'hui."]


def test_week_at_the_booking_horizon_is_served(api, family):
    edge = NOW.date() + BOOKING_HORIZON
    assert api.get("/api/v1/week/", {"date": edge.isoformat()}).status_code == 200


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31"])
def test_changes_beyond_the_booking_horizon_are_french_errors(api, family, town, far):
    response = add_item(api, family.children[0], town.repas_maternelle, date=far)
    assert response.status_code == 400 and response.json()["date"] == ["Choisissez une date à moins de deux ans d'aujourd'hui."]
    base = {"child_ids": [family.children[0].pk], "activity_id": town.repas_maternelle.pk, "weekdays": [0]}
    response = post(api, "/api/v1/basket/period/", {**base, "start": far, "end": far})
    assert response.status_code == 400 and "moins de deux ans" in response.json()["start"][0]
    assert BasketItem.objects.count() == 0


# --- Basket ----------------------------------------------------------------------------------------


def test_add_read_and_remove_a_change(api, family, town):
    response = add_item(api, family.children[0], town.repas_maternelle)
    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["action"] == "book" and item["child_name"] == "Junior TEST" and item["problem"] is None
    basket = api.get("/api/v1/basket/").json()
    assert basket["count"] == 1 and basket["items"][0]["id"] == item["id"]
    assert api.delete(f"/api/v1/basket/items/{item['id']}/").status_code == 204
    assert api.get("/api/v1/basket/").json() == {"count": 0, "items": []}


def test_adding_a_locked_day_is_refused_in_french(api, family, town):
    response = add_item(api, family.children[0], town.repas_maternelle, date="2026-11-23")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Junior, Repas maternelle, Lun. 23 nov. : le délai pour réserver est dépassé (jusqu'au jeudi 19/11 à 10h00).",
        "code": "locked",
    }


def test_missing_fields_are_french_errors(api, family):
    response = post(api, "/api/v1/basket/items/", {"action": "réserver"})
    assert response.status_code == 400
    errors = response.json()
    assert errors["child_id"] == ["Ce champ est obligatoire."] and "action" in errors


def test_another_household_child_answers_404(api, other_family, town):
    response = add_item(api, other_family.children[0], town.repas_maternelle)
    assert response.status_code == 404 and BasketItem.objects.count() == 0


def test_an_unknown_activity_answers_404(api, family):
    response = post(api, "/api/v1/basket/items/", {"child_id": family.children[0].pk, "activity_id": 999999, "date": MONDAY, "action": "book"})
    assert response.status_code == 404


def test_another_guardian_basket_item_answers_404(api, client, other_family, town):
    other = Client()
    other.force_login(other_family.user)
    item = add_item(other, other_family.children[0], town.repas_maternelle).json()
    assert api.delete(f"/api/v1/basket/items/{item['id']}/").status_code == 404
    assert BasketItem.objects.filter(pk=item["id"]).exists()


def test_period_booking_for_siblings(api, family, town):
    junior, lise = family.children
    factories.EnrolmentFactory(child=junior, activity=town.garderie_soir, school_year=town.school_year)
    response = post(api, "/api/v1/basket/period/", {
        "child_ids": [junior.pk, lise.pk], "activity_id": town.garderie_soir.pk,
        "start": "2026-12-14", "end": "2027-01-08", "weekdays": [0, 3],
    })
    assert response.status_code == 200, response.json()
    data = response.json()
    # Mondays and Thursdays: 14, 17, 21, 24, 28, 31 December, 4 and 7 January (no closure in this town).
    assert sorted((i["child_id"], i["date"]) for i in data["added"]) == sorted(
        (child.pk, date)
        for child in (junior, lise)
        for date in ["2026-12-14", "2026-12-17", "2026-12-21", "2026-12-24", "2026-12-28", "2026-12-31", "2027-01-04", "2027-01-07"]
    )
    assert data["skipped"] == []


def test_period_booking_reports_skipped_days(api, family, town):
    response = post(api, "/api/v1/basket/period/", {
        "child_ids": [family.children[0].pk], "activity_id": town.repas_maternelle.pk,
        "start": "2026-11-23", "end": "2026-12-07", "weekdays": [0],
    })
    data = response.json()
    assert [i["date"] for i in data["added"]] == ["2026-11-30", MONDAY]
    assert data["skipped"][0]["date"] == "2026-11-23" and data["skipped"][0]["code"] == "locked"
    assert "délai pour réserver est dépassé" in data["skipped"][0]["reason"]


def test_period_booking_with_another_household_child_answers_404(api, family, other_family, town):
    response = post(api, "/api/v1/basket/period/", {
        "child_ids": [family.children[0].pk, other_family.children[0].pk], "activity_id": town.repas_maternelle.pk,
        "start": "2026-12-07", "end": "2026-12-18", "weekdays": [0],
    })
    assert response.status_code == 404 and BasketItem.objects.count() == 0


def test_period_booking_validation_errors(api, family, town):
    base = {"child_ids": [family.children[0].pk], "activity_id": town.repas_maternelle.pk, "start": "2026-12-18", "end": "2026-12-07"}
    response = post(api, "/api/v1/basket/period/", {**base, "weekdays": [0]})
    assert response.status_code == 400 and response.json()["end"] == ["La date de fin doit suivre la date de début."]
    response = post(api, "/api/v1/basket/period/", {**base, "end": "2026-12-31", "weekdays": [2]})
    assert response.status_code == 400 and response.json()["code"] == "no_service_weekday"
    response = post(api, "/api/v1/basket/period/", {**base, "weekdays": [9]})
    assert response.status_code == 400 and "weekdays" in response.json()


def test_clear_the_basket(api, family, town):
    add_item(api, family.children[0], town.repas_maternelle)
    assert post(api, "/api/v1/basket/clear/").status_code == 204
    assert BasketItem.objects.count() == 0


def test_validate_applies_and_a_double_submit_books_nothing_twice(api, family, town, django_capture_on_commit_callbacks):
    junior = family.children[0]
    add_item(api, junior, town.repas_maternelle)
    add_item(api, junior, town.repas_maternelle, date="2026-12-10")
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, "/api/v1/basket/validate/")
        second = post(api, "/api/v1/basket/validate/")
    assert first.status_code == 200
    data = first.json()
    assert [b["date"] for b in data["booked"]] == [MONDAY, "2026-12-10"] and data["refused"] == []
    assert data["validated_at"] == "2026-11-20T09:00:00+01:00"
    assert second.json()["booked"] == []
    assert Booking.objects.filter(booked_by=family.user).count() == 2
    assert len(mail.outbox) == 1


def test_validate_lists_refused_items_back(api, family, town):
    junior = family.children[0]
    add_item(api, junior, town.repas_maternelle)
    with mock.patch("django.utils.timezone.now", return_value=datetime.datetime(2026, 12, 3, 10, 1, tzinfo=PARIS)):
        data = post(api, "/api/v1/basket/validate/").json()
    assert data["booked"] == [] and data["refused"][0]["code"] == "locked"
    assert data["refused"][0]["item"]["date"] == MONDAY and "dépassé" in data["refused"][0]["reason"]


# --- Schema ------------------------------------------------------------------------------------------


def test_openapi_schema_is_valid_without_warnings(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/basket/validate/" in (tmp_path / "schema.yaml").read_text()


def test_schema_and_docs_are_served(client, db):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200

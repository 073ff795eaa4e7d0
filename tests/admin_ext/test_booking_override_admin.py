import datetime

from django.urls import reverse

from core.models import Booking
from tests import factories

URL = "/admin/core/booking/override/"


def test_staff_book_a_past_day_from_the_admin(client, staff_agent, family, town):
    client.force_login(staff_agent)
    assert client.get(URL).status_code == 200
    changelist = client.get(reverse("admin:core_booking_changelist")).content.decode()
    assert "Réserver / annuler hors délai" in changelist
    response = client.post(URL, {
        "child": family.children[0].pk, "activity": town.repas_maternelle.pk, "day": "2026-09-03", "action": "book",
    })
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.is_override and booking.source == "staff" and booking.booked_by == staff_agent


def test_the_override_form_shows_why_a_day_cannot_be_booked(client, staff_agent, family, town):
    client.force_login(staff_agent)
    response = client.post(URL, {
        "child": family.children[0].pk, "activity": town.repas_maternelle.pk, "day": "2027-05-06", "action": "book",
    })
    assert response.status_code == 200 and "Jour férié (Ascension)" in response.content.decode()
    assert Booking.objects.count() == 0


def test_staff_cancel_selected_bookings_as_override(client, staff_agent, family, town):
    booking = factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=datetime.date(2026, 9, 3))
    client.force_login(staff_agent)
    response = client.post(
        reverse("admin:core_booking_changelist"), {"action": "cancel_as_override", "_selected_action": [booking.pk]}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.is_override and booking.cancelled_by == staff_agent


def test_parents_cannot_reach_the_override(client, family):
    client.force_login(family.user)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

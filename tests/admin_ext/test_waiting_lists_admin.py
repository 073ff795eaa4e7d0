import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import Booking, WaitingListEntry
from core.services.deadlines import PARIS
from core.services.waiting_lists import waiting_list_join
from tests import factories

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
MONDAY = datetime.date(2026, 12, 7)
URL = reverse("admin:core_waitinglistentry_changelist")


@pytest.fixture
def on_1_december():
    """The day this module's dates were chosen for, set before the other fixtures (their logins and
    rows are made on that day too): the suite runs on any day."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


def _queue(family, separated_couple, other_family, town):
    activity = town.repas_maternelle
    activity.capacity = 1
    activity.save()
    factories.BookingFactory(child=other_family.children[0], activity=activity, date=MONDAY)
    first = waiting_list_join(guardian=family.parent, child=family.children[0], activity=activity, day=MONDAY, now=NOW)
    second = waiting_list_join(
        guardian=separated_couple.parent, child=separated_couple.children[0], activity=activity, day=MONDAY, now=NOW
    )
    return activity, first, second


def test_a_gestionnaire_reorders_a_list_and_the_new_first_gets_the_freed_place(
    on_1_december,
    client, gestionnaire, family, separated_couple, other_family, town
):
    activity, first, second = _queue(family, separated_couple, other_family, town)
    client.force_login(gestionnaire)
    page = client.get(URL).content.decode()
    assert "Junior" in page and "Tom" in page and "Listes d&#x27;attente" in page

    response = client.post(URL, {
        "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2",
        "form-0-id": first.pk, "form-0-position": "2", "form-1-id": second.pk, "form-1-position": "1",
        "_save": "Enregistrer",
    })
    assert response.status_code == 302
    assert WaitingListEntry.objects.get(pk=second.pk).position == 1

    activity.capacity = 2  # the kitchen can serve one more meal that day
    activity.save()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.post(URL, {"action": "give_free_places", "_selected_action": [first.pk]})
    assert response.status_code == 302
    assert Booking.objects.active().filter(activity=activity, date=MONDAY).count() == 2
    assert Booking.objects.get(child=separated_couple.children[0]).source == "waitlist"
    assert WaitingListEntry.objects.get(pk=first.pk).status == "waiting"


def test_staff_cannot_add_or_delete_entries_nor_change_who_waits(client, administrateur, family, separated_couple, other_family, town):
    _, first, _ = _queue(family, separated_couple, other_family, town)
    client.force_login(administrateur)
    assert client.get(reverse("admin:core_waitinglistentry_add")).status_code == 403
    assert client.get(reverse("admin:core_waitinglistentry_delete", args=[first.pk])).status_code == 403
    change = reverse("admin:core_waitinglistentry_change", args=[first.pk])
    client.post(change, {"position": "5", "child": other_family.children[0].pk, "status": "promoted"})
    first.refresh_from_db()
    assert (first.position, first.child_id, first.status) == (5, family.children[0].pk, "waiting")

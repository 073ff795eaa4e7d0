"""Gestion du foyer → « Calendrier des réservations »: the address shown once, replaced, stopped;
calendar apps read it without a session."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import CalendarFeed, EmailLog
from tests import factories

THURSDAY = datetime.date(2026, 12, 3)


@pytest.fixture
def on_1_december():
    """The day this module's dates were chosen for, set before the other fixtures (their logins and
    rows are made on that day too): the suite runs on any day."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


def create(client):
    response = client.post(reverse("portail:calendar_feed_manage"), {"action": "creer"})
    assert response.status_code == 200
    return response, response.context["feed_url"]


def test_the_address_is_shown_once_and_calendar_apps_read_it(on_1_december, client, family, town):
    factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=THURSDAY)
    client.force_login(family.user)
    assert "Créer mon adresse d'abonnement" in client.get(reverse("portail:household")).text
    response, url = create(client)
    assert url.startswith("http://testserver/calendrier/") and url.endswith(".ics")
    assert "Copier l'adresse" in response.text and response.text.count("<h1") == 1
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    household_page = client.get(reverse("portail:household")).text
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in household_page and "Générer une nouvelle adresse" in household_page
    assert not EmailLog.objects.exists()

    feed = client.__class__().get(url.removeprefix("http://testserver"))  # no session: a calendar app
    assert feed.status_code == 200 and feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"Junior : Repas maternelle" in feed.content and b"DTSTART;VALUE=DATE:20261203" in feed.content


def test_a_new_address_stops_the_old_one_and_revoking_stops_both(client, family):
    client.force_login(family.user)
    _, first = create(client)
    _, second = create(client)
    path = lambda url: url.removeprefix("http://testserver")  # noqa: E731
    assert client.get(path(first)).status_code == 404 and client.get(path(second)).status_code == 200
    response = client.post(reverse("portail:calendar_feed_manage"), {"action": "desactiver"})
    assert response.status_code == 302 and response.url.startswith(reverse("portail:household"))
    assert client.get(path(second)).status_code == 404 and not CalendarFeed.objects.exists()


def test_an_unknown_token_is_a_404(client, db):
    assert client.get(reverse("portail:calendar_feed", args=["pas-un-jeton"])).status_code == 404


def test_managing_the_feed_is_post_only(client, family):
    client.force_login(family.user)
    assert client.get(reverse("portail:calendar_feed_manage")).status_code == 405

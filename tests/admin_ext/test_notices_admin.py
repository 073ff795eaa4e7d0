"""A gestionnaire writes a strike notice in the admin, sees who it reaches, sends it once; the
families of the school see the banner on their home page and the day is closed."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core.models import Closure, Notice

THURSDAY = datetime.date(2026, 12, 3)


@pytest.fixture
def on_1_december():
    """The day this module's dates were chosen for, set before the other fixtures (their logins and
    rows are made on that day too): the suite runs on any day."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def gestionnaire_client(gestionnaire):
    client = Client()
    client.force_login(gestionnaire)
    return client


FORM = {
    "title": "Grève jeudi : pas de cantine à l'école Jules-Ferry",
    "body": "Le service de restauration ne sera pas assuré.\n\nMerci de prévoir un panier-repas.",
    "first_day": "03/12/2026", "last_day": "", "by_email": "on", "on_home": "on", "shown_until": "03/12/2026",
    "close_days": "on", "closure_kind": "greve",
}


def test_strike_notice_from_the_admin_to_the_families_home_page(
    on_1_december,
    gestionnaire_client, town, family, other_family, django_capture_on_commit_callbacks, mailoutbox, client
):
    response = gestionnaire_client.post(reverse("admin:core_notice_add"), {**FORM, "school": town.elementaire.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = Notice.objects.get()
    page = gestionnaire_client.get(reverse("admin:core_notice_change", args=[notice.pk])).content.decode()
    assert "<strong>1</strong> famille" in page and "Fermeture 03/12/2026" in page and "/envoyer/" in page

    url = reverse("admin:core_notice_send_notice", args=[notice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert gestionnaire_client.post(url, {"_form_submitted": "on"}).status_code == 302
    notice.refresh_from_db()
    assert notice.sent_at and notice.sent_by.email == "gestionnaire@mairie.test"
    assert [m.to for m in mailoutbox] == [["parent@example.org"]]
    assert Closure.objects.filter(kind="greve", school=town.elementaire, start_date=THURSDAY).exists()
    page = gestionnaire_client.get(reverse("admin:core_notice_change", args=[notice.pk])).content.decode()
    assert "/envoyer/" not in page
    assert gestionnaire_client.post(url, {"_form_submitted": "on"}).status_code == 403

    for household_client, user, shown in ((client, family.user, True), (Client(), other_family.user, False)):
        household_client.force_login(user)
        with_time = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)
        with mock.patch("django.utils.timezone.now", return_value=with_time):
            text = household_client.get(reverse("portail:home")).text
        assert ("Grève jeudi : pas de cantine" in text) is shown
        if shown:
            assert 'aria-labelledby="avis-titre"' in text and "<p>Merci de prévoir un panier-repas.</p>" in text


def test_a_notice_without_criterion_is_refused_by_the_form(gestionnaire_client, town):
    response = gestionnaire_client.post(reverse("admin:core_notice_add"), FORM)
    assert response.status_code == 200 and "toute la commune" in response.content.decode()
    assert not Notice.objects.exists()


def test_a_notice_without_channel_or_banner_end_is_refused(gestionnaire_client, town):
    form = {**FORM, "school": town.elementaire.pk, "shown_until": ""}
    response = gestionnaire_client.post(reverse("admin:core_notice_add"), form)
    assert response.status_code == 200 and "jusqu&#x27;à quand" in response.content.decode()
    form = {key: value for key, value in FORM.items() if key not in ("by_email", "on_home")} | {"school": town.elementaire.pk}
    response = gestionnaire_client.post(reverse("admin:core_notice_add"), form)
    assert response.status_code == 200 and not Notice.objects.exists()

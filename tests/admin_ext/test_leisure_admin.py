"""Staff side of the accueil de loisirs: the planning (screen, print, xlsx) and the dashboard's
fill rate of the registration windows."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from tests import factories
from tests.core.test_leisure import MONDAY, OPEN, TUESDAY, enrol, make_alsh


@pytest.fixture
def booked(town, family):
    alsh = make_alsh(town)
    junior = family.children[0]
    enrol(town, junior, alsh.morning, alsh.day_with_meal)
    factories.book(junior, alsh.morning, [MONDAY])
    factories.book(junior, alsh.day_with_meal, [TUESDAY])
    return alsh


def test_the_planning_lists_children_per_day_age_group_and_unit(client, gestionnaire, booked):
    client.force_login(gestionnaire)
    url = reverse("admin:core_registrationwindow_planning")
    response = client.get(url, {"start": MONDAY.isoformat(), "end": TUESDAY.isoformat()})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Lundi 15 février" in text and "3–5 ans" in text and "Junior TEST" in text
    printed = client.get(url, {"start": MONDAY.isoformat(), "end": TUESDAY.isoformat(), "print": "1"})
    assert "Planning de l&#x27;accueil de loisirs" in printed.content.decode() or "Planning de l'accueil" in printed.content.decode()
    assert "Journée avec repas" in printed.content.decode()


def test_the_planning_exports_to_excel(client, gestionnaire, booked):
    client.force_login(gestionnaire)
    response = client.get(
        reverse("admin:core_registrationwindow_planning"),
        {"start": MONDAY.isoformat(), "end": TUESDAY.isoformat(), "export": "xlsx"},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Jour", "Tranche d'âge", "Unité", "Repas", "Capacité", "Inscrits", "Enfants"]
    assert ["15/02/2027", "3–5 ans", "Matin", "non", 2, 1, "Junior TEST"] in rows


def test_the_planning_refuses_a_reversed_period_in_french(client, gestionnaire, db):
    client.force_login(gestionnaire)
    response = client.get(reverse("admin:core_registrationwindow_planning"), {"start": "2027-02-20", "end": "2027-02-15"})
    assert "La fin de la période doit suivre son début." in response.content.decode()


def test_the_dashboard_shows_the_fill_rate_of_open_windows(client, gestionnaire, booked, time_machine):
    time_machine.move_to(OPEN)
    client.force_login(gestionnaire)
    text = client.get(reverse("admin:index")).content.decode()
    table = text[text.index('id="leisure-windows"'):]
    table = table[:table.index("</table>")]
    assert "hiver 2027" in table and ">80<" in table and "2 %" in table  # 2 booked / 80 places


def test_a_window_is_added_in_the_admin_with_its_units(client, gestionnaire, booked):
    client.force_login(gestionnaire)
    response = client.post(reverse("admin:core_registrationwindow_add"), {
        "label": "Mercredis du printemps", "start_date": "2027-03-03", "end_date": "2027-04-07", "weekdays": ["2"],
        "activities": [booked.morning.pk], "opens_at_0": "2027-02-01", "opens_at_1": "18:00",
        "closes_at_0": "2027-02-20", "closes_at_1": "12:00", "priority_opens_at_0": "", "priority_opens_at_1": "",
        "min_days_per_week": "",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    from core.models import RegistrationWindow

    window = RegistrationWindow.objects.get(label="Mercredis du printemps")
    assert window.opens_at == datetime.datetime(2027, 2, 1, 17, 0, tzinfo=datetime.UTC)
    assert list(window.activities.all()) == [booked.morning]

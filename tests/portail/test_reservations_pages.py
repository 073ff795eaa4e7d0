"""Espace Famille pages: the week grid, the basket forms (the path without JavaScript), the
validation report, Réserver sur une période and Mes inscriptions."""

import datetime
import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import BasketItem, Booking
from core.services import basket as basket_service
from core.services.calendar import BOOKING_HORIZON
from core.services.deadlines import PARIS
from core.services.reference import reference_data
from tests import factories

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)  # a Friday, before 10:00
MONDAY = datetime.date(2026, 12, 7)
PAGE = reverse("portail:reservations")
CHANGE = reverse("portail:basket_change")


pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def parent(client, family):
    client.force_login(family.user)
    return client


def week(client, day=MONDAY):
    return client.get(PAGE, {"date": day.isoformat()})


def click(client, value, day=MONDAY):
    return client.post(CHANGE, {"change": value, "date": day.isoformat()})


def book_value(child, activity, day=MONDAY, action="book"):
    return f"{action}:{child.pk}:{activity.pk}:{day.isoformat()}"


def cell_button(html, dom_id):
    match = re.search(rf'<button [^>]*id="{dom_id}"[^>]*>', html)
    assert match, dom_id
    return match.group(0)


# --- The week grid --------------------------------------------------------------------------------


def test_the_week_shows_one_grid_per_child_with_a_button_per_cell(parent, family, town, other_family):
    junior, lise = family.children
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=datetime.date(2026, 12, 10))
    html = week(parent).text
    assert "Semaine du 07/12/2026 au 11/12/2026" in html
    assert "Junior TEST" in html and "Lise TEST" in html and "Zoé" not in html
    assert "Lun. 07/12" in html and "Ven. 11/12" in html
    monday = cell_button(html, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-07")
    assert 'type="submit"' in monday and 'class="slot slot--free"' in monday
    assert 'aria-label="Junior TEST, Repas maternelle, lundi 7 décembre : non réservé"' in monday
    assert f'value="book:{junior.pk}:{town.repas_maternelle.pk}:2026-12-07"' in monday
    assert "Réservation possible jusqu&#x27;au jeudi 03/12 à 10h00." in monday
    thursday = cell_button(html, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-10")
    assert "slot--booked" in thursday and "cancel:" in thursday and ": réservé" in thursday
    assert "Aucune nouvelle réservation ou annulation" in html
    assert 'aria-current="page">Mes réservations' in html


def test_locked_and_closed_days_are_not_actionable_and_say_why(parent, family, town):
    junior = family.children[0]
    factories.ClosureFactory(name="Grève", kind="other", start_date=datetime.date(2026, 11, 26), end_date=datetime.date(2026, 11, 26))
    html = week(parent, datetime.date(2026, 11, 23)).text
    monday = cell_button(html, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-11-23")
    assert 'type="button"' in monday and 'aria-disabled="true"' in monday and "name=" not in monday
    assert "non réservé, délai dépassé" in monday and "Délai dépassé le jeudi 19/11 à 10h00." in monday
    thursday = cell_button(html, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-11-26")
    assert 'aria-disabled="true"' in thursday and "fermé (Grève)" in thursday
    assert '<span class="slot__text" aria-hidden="true">Grève</span>' in html


def test_previous_and_next_week_links_and_the_date_picker(parent, family):
    html = parent.get(PAGE, {"date": "2026-12-09"}).text
    assert '?date=2026-11-30#semaine-titre" rel="prev"' in html and '?date=2026-12-14#semaine-titre" rel="next"' in html
    assert 'name="date" value="2026-12-07"' in html
    assert "Revenir à cette semaine" in html


@pytest.mark.parametrize("value", ["", "demain", "2026-13-01", "9999-12-31"])
def test_a_bad_date_shows_the_current_week(parent, family, value):
    response = parent.get(PAGE, {"date": value})
    assert response.status_code == 200 and "Semaine du 16/11/2026 au 20/11/2026" in response.text


# --- Clicking cells without JavaScript ------------------------------------------------------------------


def test_clicking_an_open_day_puts_a_booking_in_the_basket(parent, family, town):
    junior = family.children[0]
    response = click(parent, book_value(junior, town.repas_maternelle))
    dom_id = f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-07"
    assert response.status_code == 302 and response.url == f"{PAGE}?date=2026-12-07#{dom_id}"
    item = BasketItem.objects.get()
    assert (item.child, item.activity, item.date, item.action) == (junior, town.repas_maternelle, MONDAY, "book")
    html = parent.get(response.url).text
    assert "Réservation ajoutée au panier : Junior TEST, Repas maternelle, lundi 7 décembre." in html
    cell = cell_button(html, dom_id)
    assert "slot--pending-book" in cell and f'value="remove:{item.pk}"' in cell
    assert "non réservé, réservation dans le panier" in cell
    assert "Lun. 7 déc." in html and "Valider le panier" in html and "Vider le panier" in html
    assert "Aucune nouvelle réservation ou annulation" not in html


def test_clicking_a_pending_day_takes_it_out_of_the_basket(parent, family, town):
    junior = family.children[0]
    item = basket_service.basket_add(guardian=family.parent, child=junior, activity=town.repas_maternelle, day=MONDAY, action="book")
    response = click(parent, f"remove:{item.pk}")
    assert response.status_code == 302 and not BasketItem.objects.exists()
    html = parent.get(response.url).text
    assert "Retiré du panier : Junior TEST, Repas maternelle, lundi 7 décembre : réservation." in html


def test_clicking_a_booked_day_puts_a_cancellation_in_the_basket(parent, family, town):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=MONDAY)
    click(parent, book_value(junior, town.repas_maternelle, action="cancel"))
    assert BasketItem.objects.get().action == "cancel"
    cell = cell_button(week(parent).text, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-07")
    assert "slot--pending-cancel" in cell and "réservé, annulation dans le panier" in cell


def test_a_locked_day_is_refused_with_its_deadline(parent, family, town):
    junior = family.children[0]
    response = click(parent, book_value(junior, town.repas_maternelle, datetime.date(2026, 11, 23)), datetime.date(2026, 11, 23))
    assert not BasketItem.objects.exists()
    html = parent.get(response.url).text
    assert "le délai pour réserver est dépassé (jusqu&#x27;au jeudi 19/11 à 10h00)" in html


@pytest.mark.parametrize("value", ["", "book", "book:1:2", "book:a:b:c", "remove:x", "delete:1", "book:1:2:2026-02-30"])
def test_a_malformed_change_is_a_bad_request(parent, family, value):
    assert click(parent, value).status_code == 400
    assert not BasketItem.objects.exists()


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31", "2028-11-22"])
def test_a_change_beyond_the_booking_horizon_is_a_bad_request_in_french(parent, family, town, far):
    response = click(parent, f"book:{family.children[0].pk}:{town.repas_maternelle.pk}:{far}")
    assert response.status_code == 400
    assert response.content.decode() == "Choisissez une date à moins de deux ans d'aujourd'hui."
    assert not BasketItem.objects.exists()


def test_a_week_beyond_the_booking_horizon_shows_the_current_week(parent, family):
    assert "Semaine du 16/11/2026" not in week(parent, NOW.date() + BOOKING_HORIZON).text
    assert "Semaine du 16/11/2026" in week(parent, NOW.date() + BOOKING_HORIZON + datetime.timedelta(days=7)).text


def test_another_households_ids_are_not_found(parent, family, other_family, town):
    zoe = other_family.children[0]
    assert click(parent, book_value(zoe, town.repas_maternelle)).status_code == 404
    theirs = basket_service.basket_add(
        guardian=other_family.parent, child=zoe, activity=town.repas_maternelle, day=MONDAY, action="book"
    )
    assert click(parent, f"remove:{theirs.pk}").status_code == 404
    assert list(BasketItem.objects.all()) == [theirs]


def test_the_basket_forms_need_the_csrf_token(family, town):
    client = Client(enforce_csrf_checks=True)
    client.force_login(family.user)
    junior = family.children[0]
    assert click(client, book_value(junior, town.repas_maternelle)).status_code == 403
    assert client.post(reverse("portail:basket_validate")).status_code == 403
    assert client.post(reverse("portail:basket_clear")).status_code == 403
    assert not BasketItem.objects.exists()


def test_the_basket_views_answer_post_only(parent, family):
    for name in ["portail:basket_change", "portail:basket_validate", "portail:basket_clear"]:
        assert parent.get(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", ["portail:reservations", "portail:enrolments", "portail:period"])
def test_pages_need_a_guardian(client, staff_agent, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(staff_agent)
    assert client.get(reverse(name)).status_code == 403


# --- The basket: lines, survival between weeks, clear, validate ----------------------------------------


def test_the_basket_lists_changes_by_child_and_day_whatever_the_week(parent, family, town):
    junior, lise = family.children
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=datetime.date(2026, 12, 14))
    for child, activity, day, action in [
        (junior, town.repas_maternelle, MONDAY, "book"),
        (lise, town.repas_primaire, datetime.date(2026, 12, 14), "cancel"),
        (junior, town.repas_maternelle, datetime.date(2026, 12, 10), "book"),
    ]:
        basket_service.basket_add(guardian=family.parent, child=child, activity=activity, day=day, action=action)
    html = week(parent, datetime.date(2027, 1, 11)).text  # another week: the basket stays
    basket = html[html.index('id="panier"') :]
    assert re.search(r"Junior TEST.*Lun\. 7 déc\..*Jeu\. 10 déc\..*Lise TEST.*Lun\. 14 déc\..*Annulation", basket, re.S)
    assert "(3)" in basket
    assert 'aria-label="Voir le panier : 3 changements"' in html
    assert "Retirer du panier : Junior TEST, Repas maternelle, lundi 7 décembre : réservation" in basket
    assert "Retirer du panier : Lise TEST, Repas primaire, lundi 14 décembre : annulation" in basket


def test_clear_empties_the_basket(parent, family, town):
    basket_service.basket_add(guardian=family.parent, child=family.children[0], activity=town.repas_maternelle, day=MONDAY, action="book")
    response = parent.post(reverse("portail:basket_clear"), {"date": "2026-12-07"})
    assert response.url == f"{PAGE}?date=2026-12-07" and not BasketItem.objects.exists()
    assert "Le panier a été vidé." in parent.get(response.url).text


def test_validate_applies_reports_and_emails(parent, family, town, django_capture_on_commit_callbacks):
    junior, lise = family.children
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=MONDAY)
    click(parent, book_value(junior, town.repas_maternelle))
    click(parent, book_value(junior, town.repas_maternelle, datetime.date(2026, 12, 10)))
    click(parent, book_value(lise, town.repas_primaire, action="cancel"))
    with django_capture_on_commit_callbacks(execute=True):
        response = parent.post(reverse("portail:basket_validate"), {"date": "2026-12-07"})
    assert response.status_code == 302
    assert Booking.objects.filter(child=junior, status="booked").count() == 2
    assert Booking.objects.get(child=lise).status == "cancelled"
    assert not BasketItem.objects.exists()
    [email] = mail.outbox
    assert email.subject.startswith("Validation du panier")
    assert "Lun. 7 déc." in email.body and "Jeu. 10 déc." in email.body

    html = parent.get(response.url).text
    assert "Panier validé : 2 réservations enregistrées et 1 annulation enregistrée." in html
    assert "Validation du panier du 20/11/2026 à 09h00" in html
    assert re.search(r"Réservé</span> Junior TEST, Repas maternelle, Lun\. 7 déc\.", html)
    assert re.search(r"Annulé</span> Lise TEST, Repas primaire, Lun\. 7 déc\.", html)
    assert "slot--booked" in cell_button(html, f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-07")
    # The report is shown once.
    assert "Validation du panier du" not in parent.get(response.url).text


def test_validate_reports_what_was_refused_and_why(parent, family, town):
    junior = family.children[0]
    click(parent, book_value(junior, town.repas_maternelle))
    click(parent, book_value(junior, town.repas_maternelle, datetime.date(2026, 12, 18)))
    later = datetime.datetime(2026, 12, 3, 10, 1, tzinfo=PARIS)  # Monday 7's deadline has just passed
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = parent.post(reverse("portail:basket_validate"), {"date": "2026-12-07"})
        html = parent.get(response.url).text
    assert Booking.objects.get().date == datetime.date(2026, 12, 18)
    assert BasketItem.objects.get().date == MONDAY  # refused items stay in the basket
    assert "Refusé" in html
    assert "Junior, Repas maternelle, Lun. 7 déc. : le délai pour réserver est dépassé (jusqu&#x27;au jeudi 03/12 à 10h00)." in html
    assert 'class="basket-line__problem"' in html


def test_validating_an_empty_basket_says_so(parent, family):
    response = parent.post(reverse("portail:basket_validate"))
    assert "il n&#x27;y a rien à valider" in parent.get(response.url).text
    assert mail.outbox == []


# --- Réserver sur une période --------------------------------------------------------------------------


def period_data(children, activity, **extra):
    return {
        "children": [c.pk for c in children], "activity": activity.pk, "start": "2026-12-07", "end": "2026-12-18",
        "weekdays": ["0", "3"], **extra,
    }


def test_period_booking_for_two_siblings_fills_the_basket_and_lists_skipped_days(parent, family, town):
    junior, lise = family.children
    factories.EnrolmentFactory(child=junior, activity=town.garderie_soir, school_year=town.school_year)
    factories.BookingFactory(child=lise, activity=town.garderie_soir, date=datetime.date(2026, 12, 10))
    form = parent.get(reverse("portail:period")).text
    assert "Junior TEST" in form and "Garderie soir" in form and "Repas maternelle" in form
    response = parent.post(reverse("portail:period"), period_data([junior, lise], town.garderie_soir))
    assert response.status_code == 302 and response.url == f"{PAGE}?date=2026-12-07#bilan"
    added = sorted((i.child.first_name, i.date.day) for i in BasketItem.objects.all())
    assert added == [("Junior", d) for d in (7, 10, 14, 17)] + [("Lise", d) for d in (7, 14, 17)]
    html = parent.get(response.url).text
    assert "7 jours ajoutés au panier" in html
    assert "Jours non ajoutés (1)" in html and "Lise, Garderie soir, Jeu. 10 déc. : déjà réservé." in html
    assert html.count('class="slot slot--pending-book"') == 3  # Junior's Monday and Thursday, Lise's Monday


def test_period_booking_refuses_a_child_not_enrolled_in_the_activity(parent, family, town):
    junior, lise = family.children
    response = parent.post(reverse("portail:period"), period_data([junior, lise], town.garderie_soir))
    assert response.status_code == 400
    assert "Junior n&#x27;est pas inscrit(e) à « Garderie soir »." in response.text
    assert not BasketItem.objects.exists()


def test_period_booking_validates_its_input(parent, family, town):
    response = parent.post(
        reverse("portail:period"), period_data(family.children[:1], town.repas_maternelle, end="2026-12-01", weekdays=[])
    )
    assert "La date de fin doit suivre la date de début." in response.text
    assert "Choisissez au moins un jour de la semaine." in response.text
    assert not BasketItem.objects.exists()


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "2026-12-18"), ("2026-12-07", "9999-12-31"), ("0001-01-01", "9999-12-31")])
def test_period_booking_beyond_the_booking_horizon_is_a_french_form_error(parent, family, town, start, end):
    data = period_data(family.children[:1], town.repas_maternelle, start=start, end=end)
    response = parent.post(reverse("portail:period"), data)
    assert response.status_code == 400
    assert "Choisissez une date à moins de deux ans d&#x27;aujourd&#x27;hui." in response.text
    assert not BasketItem.objects.exists()


def test_period_booking_ignores_another_households_child(parent, family, other_family, town):
    response = parent.post(reverse("portail:period"), period_data([other_family.children[0]], town.repas_maternelle))
    assert response.status_code == 400 and "Sélectionnez un choix valide" in response.text
    assert not BasketItem.objects.exists()


# --- Mes inscriptions ----------------------------------------------------------------------------------


def test_enrolments_tab_lists_each_childs_enrolments(parent, family, other_family):
    html = parent.get(reverse("portail:enrolments")).text
    assert 'aria-current="page">Mes inscriptions' in html
    assert "Junior TEST" in html and "Garderie soir" in html and "Année 2026-2027" in html and "Zoé" not in html


# --- Query counts -------------------------------------------------------------------------------------


def grow_household(family, town, children=4):
    """More children, each with bookings and basket changes: the page must not query more."""
    for index in range(children):
        child = factories.ChildFactory(household=family.household, first_name=f"Enfant{index}", grade="CP", school=town.elementaire)
        for activity in (town.repas_primaire, town.garderie_soir):
            factories.EnrolmentFactory(child=child, activity=activity, school_year=town.school_year)
            for day in (MONDAY, datetime.date(2026, 12, 8)):
                factories.BookingFactory(child=child, activity=activity, date=day)
            basket_service.basket_add(
                guardian=family.parent, child=child, activity=activity, day=datetime.date(2026, 12, 10), action="book"
            )
            basket_service.basket_add(guardian=family.parent, child=child, activity=activity, day=MONDAY, action="cancel")


# A fixed number: session, user with its guardian and household (2); the week view (the reference
# data's version token, children, enrolments, bookings, basket lines: 5), measured with the process's
# reference data current (core/services/reference.py), as every request after the first; the basket
# with its problems (lines, token, enrolments, bookings: 4); the prices, tariffs, brackets and
# calendar coming from the reference data: quotients, the household's enrolled activities, the month's
# bookings and attendance over all its régies (4); the waiting lists (1). It was 25 before the prices
# and the household were read this way.
QUERIES = 2 + 5 + 4 + 4 + 1


def test_the_week_page_queries_do_not_grow_with_children_and_bookings(parent, family, town, django_assert_max_num_queries):
    basket_service.basket_add(guardian=family.parent, child=family.children[0], activity=town.repas_maternelle, day=MONDAY, action="book")
    reference_data()
    with django_assert_max_num_queries(QUERIES):
        assert week(parent).status_code == 200
    grow_household(family, town)
    reference_data()
    with django_assert_max_num_queries(QUERIES):
        html = week(parent).text
    assert html.count('class="slot slot--pending-cancel"') == 8 and "Enfant3 TEST" in html


def test_a_cell_click_queries_do_not_grow_with_the_household(parent, family, town, django_assert_max_num_queries):
    grow_household(family, town)
    with django_assert_max_num_queries(20):
        assert click(parent, book_value(family.children[0], town.repas_maternelle)).status_code == 302


# --- The demo ----------------------------------------------------------------------------------------


def test_the_demo_parent_sees_junior_booked_and_the_christmas_holidays(client, db):
    from django.core.management import call_command

    from core.models import User

    call_command("load_demo", verbosity=0)  # dates relative to the frozen today, 20 November 2026
    client.force_login(User.objects.get(email="parent@example.org"))
    html = client.get(PAGE, {"date": "2026-12-16"}).text
    assert "Junior TEST" in html
    assert 'aria-label="Junior TEST, Repas maternelle, jeudi 17 décembre : réservé"' in html
    html = client.get(PAGE, {"date": "2026-12-21"}).text
    assert 'aria-label="Junior TEST, Repas maternelle, lundi 21 décembre : fermé (Vacances de Noël)"' in html


# --- Accessibility: titles, messages tied to their cell (RGAA 7.5, 8.6, 11.10) ----------------------


def test_the_title_names_the_week_and_week_links_lead_to_its_heading(parent, family):
    html = week(parent).text
    assert "<title>Mes réservations, semaine du 07/12/2026 au 11/12/2026 — Espace Famille</title>" in html
    assert 'id="semaine-titre" tabindex="-1"' in html  # the links' #semaine-titre focuses it


def test_a_change_without_javascript_is_described_on_its_cell(parent, family, town):
    junior = family.children[0]
    response = click(parent, book_value(junior, town.repas_maternelle))
    dom_id = f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-12-07"
    html = parent.get(response.url).text
    assert 'aria-describedby="message-grille"' in cell_button(html, dom_id)
    message = re.search(r'<p id="message-grille"[^>]*>([^<]*)</p>', html).group(1)
    assert message == "Réservation ajoutée au panier : Junior TEST, Repas maternelle, lundi 7 décembre."
    assert html.count("ajoutée au panier") == 1  # not repeated in a status region above
    assert 'aria-describedby="message-grille"' not in parent.get(response.url).text  # once only


def test_a_refused_change_without_javascript_is_described_on_its_cell(parent, family, town):
    junior = family.children[0]
    value = book_value(junior, town.repas_maternelle, datetime.date(2026, 11, 23))  # past its deadline
    response = click(parent, value, day=datetime.date(2026, 11, 23))
    dom_id = f"jour-{junior.pk}-{town.repas_maternelle.pk}-2026-11-23"
    assert response.url.endswith(f"#{dom_id}")
    html = parent.get(response.url).text
    assert 'aria-describedby="message-grille"' in cell_button(html, dom_id)
    message = re.search(r'<p id="message-grille" class="message message--error[^"]*">([^<]*)</p>', html).group(1)
    assert "Junior" in message and "Repas maternelle" in message
    assert not BasketItem.objects.exists()


def test_the_validation_report_takes_focus_and_titles_the_page(parent, family, town):
    click(parent, book_value(family.children[0], town.repas_maternelle))
    response = parent.post(reverse("portail:basket_validate"), {"date": "2026-12-07"})
    assert response.url == f"{PAGE}?date=2026-12-07#bilan"
    html = parent.get(response.url).text
    assert "<title>Panier validé – Mes réservations, semaine du 07/12/2026 au 11/12/2026 — Espace Famille</title>" in html
    section = re.search(r'<section [^>]*id="bilan"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in section and 'aria-describedby="bilan-resume"' in section
    assert '<p id="bilan-resume" class="report__summary">Panier validé : 1 réservation enregistrée.' in html
    assert 'role="status">Panier validé' not in html  # no status region already filled at load


def test_no_template_comment_leaks_into_the_page(parent, family, town):
    click(parent, book_value(family.children[0], town.repas_maternelle))
    response = parent.post(reverse("portail:basket_validate"), {"date": "2026-12-07"})
    assert "{#" not in parent.get(response.url).text



def test_the_basket_shows_each_changes_price_and_the_month_with_and_without_it(parent, family, town, django_assert_max_num_queries):
    junior = family.children[0]
    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price="3.70")
    factories.TariffFactory(activity=town.repas_primaire, bracket=bracket, unit_price="3.90")
    factories.TariffFactory(activity=town.garderie_soir, bracket=bracket, unit_price="1.50")
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=MONDAY)
    click(parent, book_value(junior, town.repas_maternelle, MONDAY + datetime.timedelta(days=1)))
    click(parent, book_value(junior, town.repas_maternelle, MONDAY, action="cancel"))
    click(parent, book_value(family.children[1], town.garderie_soir, MONDAY))

    html = week(parent).content.decode()

    assert "+3,70 €" in html and "-3,70 €" in html and "+1,50 €" in html
    assert re.search(r"Décembre 2026 : <strong>\+1,50 €</strong>", html)
    assert "Estimation de décembre 2026" in html
    assert re.search(r"à ce jour : <strong>3,70 €</strong>, <strong>5,20 €</strong> avec votre panier", html)


def test_the_estimate_says_so_when_a_tariff_is_missing(parent, family, town):
    factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=MONDAY)
    html = week(parent).content.decode()
    assert "Estimation indisponible : un tarif manque" in html


# --- Semaine type, la cantine pour toute la fratrie -------------------------------------------------


def test_period_booking_of_the_canteen_books_each_siblings_own_meal(parent, family, town):
    junior, lise = family.children
    form = parent.get(reverse("portail:period")).text
    assert "La cantine (le repas de chaque enfant" in form
    response = parent.post(reverse("portail:period"), {**period_data([junior, lise], town.repas_maternelle), "activity": "kind:meal"})
    assert response.status_code == 302
    added = sorted({(i.child.first_name, i.activity.name) for i in BasketItem.objects.all()})
    assert added == [("Junior", "Repas maternelle"), ("Lise", "Repas primaire")]


def test_model_week_page_saves_the_usual_days_then_applies_them_without_javascript(parent, family, town):
    junior, lise = family.children
    page = parent.get(reverse("portail:model_week")).text
    assert "Junior — Repas maternelle" in page and "Lise — Garderie soir" in page
    response = parent.post(reverse("portail:model_week"), {
        "action": "save", f"semaine-{junior.pk}-{town.repas_maternelle.pk}": ["0", "3"],
        f"semaine-{lise.pk}-{town.repas_primaire.pk}": ["0"],
    })
    assert response.status_code == 302
    page = parent.get(reverse("portail:model_week")).text
    assert re.search(rf'name="semaine-{junior.pk}-{town.repas_maternelle.pk}" value="3"[^>]*checked', page)

    response = parent.post(reverse("portail:model_week"), {
        "action": "apply", "children": [junior.pk, lise.pk], "kind": "meal", "start": "2026-12-07", "end": "2026-12-18",
    })
    assert response.status_code == 302 and response.url == f"{PAGE}?date=2026-12-07#bilan"
    added = sorted((i.child.first_name, i.date.day) for i in BasketItem.objects.all())
    assert added == [("Junior", 7), ("Junior", 10), ("Junior", 14), ("Junior", 17), ("Lise", 7), ("Lise", 14)]
    assert "Semaine type appliquée" in parent.get(response.url).text


def test_model_week_without_a_saved_week_says_so(parent, family):
    response = parent.post(reverse("portail:model_week"), {
        "action": "apply", "children": [family.children[0].pk], "start": "2026-12-07", "end": "2026-12-18",
    })
    assert response.status_code == 400 and "Aucune semaine type enregistrée" in response.text

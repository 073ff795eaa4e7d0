"""Every page added to the admin opens for the roles that may see it and is refused to the others."""

import datetime

import pytest
from django.urls import reverse

from core.models import Attendance, Household
from core.services import attendance as attendance_service
from tests import factories

DAY = datetime.date(2026, 12, 3)
ROLES = ("gestionnaire", "regisseur", "administrateur", "no_role")

# page → roles allowed (every other role gets 403)
PAGES = {
    "admin:index": {"gestionnaire", "regisseur", "administrateur", "no_role"},
    "admin:core_booking_headcounts": {"gestionnaire", "regisseur", "administrateur"},
    "admin:core_attendance_sheet": {"gestionnaire", "administrateur"},
    "admin:core_registrationwindow_planning": {"gestionnaire", "regisseur", "administrateur"},
    "admin:core_registrationwindow_add": {"gestionnaire", "administrateur"},
    "admin:core_household_import": {"gestionnaire", "administrateur"},
    "admin:core_household_import_template": {"gestionnaire", "administrateur"},
    "admin:core_household_export": {"gestionnaire", "regisseur", "administrateur"},
    "admin:core_booking_export": {"gestionnaire", "regisseur", "administrateur"},
    "admin:core_emaillog_changelist": {"gestionnaire", "regisseur", "administrateur"},
    "admin:core_news_add": {"gestionnaire", "administrateur"},
    "admin:core_user_changelist": {"administrateur"},
    "admin:auth_group_changelist": {"administrateur"},
    "admin:core_tariff_add": {"administrateur"},
    "admin:core_regie_add": {"administrateur"},
}


@pytest.fixture
def no_role(db):
    return factories.RoleStaffFactory(email="sans-role@mairie.test")


@pytest.fixture
def users(gestionnaire, regisseur, administrateur, no_role):
    return {"gestionnaire": gestionnaire, "regisseur": regisseur, "administrateur": administrateur, "no_role": no_role}


@pytest.mark.parametrize("url_name", PAGES)
def test_each_added_page_opens_for_its_roles_and_is_refused_to_the_others(client, town, family, users, url_name):
    for role, user in users.items():
        client.force_login(user)
        response = client.get(reverse(url_name))
        expected = 200 if role in PAGES[url_name] else 403
        assert response.status_code == expected, f"{url_name} for {role}: {response.status_code}"


def test_history_of_a_household_opens_for_the_roles_that_see_families(client, family, users):
    url = reverse("admin:core_household_history", args=[family.household.pk])
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == (403 if role == "no_role" else 200), role


def test_history_records_who_changed_a_household(client, family, gestionnaire):
    client.force_login(gestionnaire)
    household = family.household
    household.city = "Valbourg-Nord"
    household._history_user = gestionnaire  # what HistoryRequestMiddleware sets during a request
    household.save()
    record = household.history.first()
    assert (record.city, record.history_type, record.history_user) == ("Valbourg-Nord", "~", gestionnaire)
    content = client.get(reverse("admin:core_household_history", args=[household.pk])).content.decode()
    assert "Valbourg-Nord" in content and "gestionnaire@mairie.test" in content


def test_a_regisseur_cannot_edit_a_family(client, family, regisseur):
    client.force_login(regisseur)
    household = family.household
    url = reverse("admin:core_household_change", args=[household.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(url, {"reference": household.reference, "name": "PIRATE"})
    assert response.status_code == 403
    assert Household.objects.get(pk=household.pk).name == household.name
    for model in ("household", "guardian", "child"):
        assert client.get(reverse(f"admin:core_{model}_add")).status_code == 403


def test_a_gestionnaire_cannot_see_users_groups_or_settings(client, gestionnaire):
    client.force_login(gestionnaire)
    for url_name in ("admin:core_user_changelist", "admin:auth_group_changelist", "admin:core_tariff_add"):
        assert client.get(reverse(url_name)).status_code == 403, url_name
    sidebar = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:core_user_changelist") not in sidebar
    assert reverse("admin:core_attendance_sheet") in sidebar


# --- headcounts page ---------------------------------------------------------------------


def test_headcounts_page_and_exports(client, town, family, gestionnaire):
    junior, sister = family.children
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    factories.BookingFactory(child=sister, activity=town.repas_primaire, date=DAY)
    client.force_login(gestionnaire)
    url = reverse("admin:core_booking_headcounts")
    page = client.get(url, {"day": DAY.isoformat(), "period": "week", "kind": "meal"})
    content = page.content.decode()
    assert "Repas maternelle" in content and "Repas primaire" in content and "2 réservations" in content
    printed = client.get(url, {"day": DAY.isoformat(), "period": "day", "print": "1"})
    assert printed.status_code == 200 and "Effectifs cantine" in printed.content.decode()
    csv = client.get(url, {"day": DAY.isoformat(), "period": "day", "export": "csv"})
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("École;Prestation;03/12/2026") and lines[-1].startswith("Total;;2")
    xlsx = client.get(url, {"day": DAY.isoformat(), "export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = client.get(url, {"day": DAY.isoformat(), "export": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_headcounts_sum_up_dietary_needs_per_school_on_screen_and_list_them_per_school_and_on_print(
    client, town, family, gestionnaire
):
    junior, sister = family.children
    junior.has_pai, junior.allergies = True, "Arachide"
    junior.save()
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    factories.BookingFactory(child=sister, activity=town.repas_primaire, date=DAY)
    client.force_login(gestionnaire)
    url = reverse("admin:core_booking_headcounts")
    params = {"day": DAY.isoformat(), "period": "week", "kind": "meal"}

    town_page = client.get(url, params)
    [summary] = town_page.context["sheet"].dietary_summary
    assert (summary.school, summary.children, summary.pai, summary.diets, summary.allergies) == (
        town.maternelle, 1, 1, 0, 1
    )
    content = town_page.content.decode()
    assert 'id="dietary-summary"' in content and junior.full_name not in content  # counted, not listed
    assert f"school={town.maternelle.pk}" in content  # "Voir la liste" of that school

    school_page = client.get(url, {**params, "school": town.maternelle.pk}).content.decode()
    assert junior.full_name in school_page and "Arachide" in school_page and 'id="dietary-summary"' not in school_page
    assert "Repas primaire" not in school_page  # the other school's meals are left out

    printed = client.get(url, {**params, "print": "1"}).content.decode()
    assert junior.full_name in printed and "Arachide" in printed  # the kitchen's printout lists every school


# --- attendance page ---------------------------------------------------------------------


@pytest.fixture
def sheet_params(town):
    return {"school": town.maternelle.pk, "activity": town.repas_maternelle.pk, "day": DAY.isoformat()}


def test_one_click_records_the_attendance_and_who_recorded_it(client, town, family, gestionnaire, sheet_params):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    client.force_login(gestionnaire)
    url = reverse("admin:core_attendance_sheet")
    page = client.get(url, sheet_params).content.decode()
    assert f'id="enfant-{junior.pk}"' in page and 'data-key="p"' in page
    response = client.post(url, {**sheet_params, "child": junior.pk, "status": "absent_justified"})
    assert response.status_code == 302 and response["Location"].endswith(f"#enfant-{junior.pk}")
    attendance = Attendance.objects.get(child=junior, activity=town.repas_maternelle, date=DAY)
    assert attendance.status == "absent_justified" and attendance.recorded_by == gestionnaire


def test_a_child_present_without_booking_is_added(client, town, family, other_family, gestionnaire, sheet_params):
    zoe = other_family.children[0]
    client.force_login(gestionnaire)
    url = reverse("admin:core_attendance_sheet")
    assert f'value="{zoe.pk}"' in client.get(url, sheet_params).content.decode()
    client.post(url, {**sheet_params, "child": zoe.pk, "status": "present_unbooked"})
    assert Attendance.objects.get(child=zoe).status == Attendance.Status.PRESENT_UNBOOKED
    assert "sans réservation" in client.get(url, sheet_params).content.decode()


def open_closed_sheet(client, user, params):
    """Open the attendance sheet as `user`, check it says it is closed with its inputs disabled; its url."""
    client.force_login(user)
    url = reverse("admin:core_attendance_sheet")
    page = client.get(url, params).content.decode()
    assert "le pointage est fermé" in page and "disabled" in page
    return url


def test_the_attendance_page_honours_a_locked_day(client, town, family, gestionnaire, sheet_params, monkeypatch):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    monkeypatch.setattr(attendance_service, "attendance_is_locked", lambda *, activity, day: True)
    url = open_closed_sheet(client, gestionnaire, sheet_params)
    response = client.post(url, {**sheet_params, "child": junior.pk, "status": "present"}, follow=True)
    assert "facturé" in response.content.decode()
    assert not Attendance.objects.exists()


def test_the_attendance_page_is_closed_once_the_month_is_invoiced(client, town, family, gestionnaire, sheet_params):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    factories.InvoiceRunFactory(regie=town.regie, month=DAY.replace(day=1), status="issued")
    url = open_closed_sheet(client, gestionnaire, sheet_params)
    response = client.post(url, {**sheet_params, "child": junior.pk, "status": "absent_unjustified"}, follow=True)
    assert "déjà été facturé" in response.content.decode()
    assert not Attendance.objects.exists()
    next_month = {**sheet_params, "day": "2027-01-04"}
    assert "le pointage est fermé" not in client.get(url, next_month).content.decode()


def test_a_regisseur_cannot_record_attendance(client, town, family, regisseur, sheet_params):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    client.force_login(regisseur)
    response = client.post(reverse("admin:core_attendance_sheet"), {**sheet_params, "child": junior.pk, "status": "present"})
    assert response.status_code == 403 and not Attendance.objects.exists()


def test_email_log_filters_and_content(client, family, gestionnaire):
    from core.models import EmailLog

    EmailLog.objects.create(
        kind="activation", recipient="parent@example.org", subject="Activez votre compte", body_text="Bonjour",
        body_html="<p>Bonjour <b>Deux</b></p>", household=family.household, status=EmailLog.Status.SENT,
    )
    EmailLog.objects.create(kind="invoice", recipient="autre@example.org", subject="Votre facture", body_text="…")
    client.force_login(gestionnaire)
    url = reverse("admin:core_emaillog_changelist")
    listed = client.get(url, {"recipient__icontains": "parent@"}).content.decode()
    assert "Activez votre compte" in listed and "Votre facture" not in listed
    by_kind = client.get(url, {"kind__exact": "invoice"}).content.decode()
    assert "Votre facture" in by_kind and "Activez votre compte" not in by_kind
    log = EmailLog.objects.get(kind="activation")
    detail = client.get(reverse("admin:core_emaillog_change", args=[log.pk])).content.decode()
    assert "srcdoc" in detail and "Bonjour" in detail


def test_news_change_page_shows_a_preview(client, gestionnaire):
    news = factories.NewsFactory(title="Fermeture exceptionnelle", body="Pas de cantine vendredi.\n\nMerci.")
    client.force_login(gestionnaire)
    content = client.get(reverse("admin:core_news_change", args=[news.pk])).content.decode()
    assert "ef-news-preview" in content and "<p>Pas de cantine vendredi.</p>" in content

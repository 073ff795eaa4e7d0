"""« Créer mon compte famille »: a public request, rate-limited, that creates nothing and emails
nobody until staff accept it."""

import datetime

import pytest
from django.urls import reverse

from core.constants import PARIS
from core.models import Child, EmailLog, FamilyAccountRequest, Guardian, Household
from core.services import account_requests as ar

NOW = datetime.datetime(2027, 5, 15, 10, 0, tzinfo=PARIS)
URL = "/creer-mon-compte/"


def form(**extra):
    return {"family_name": "Martin", "address_line1": "3 rue des Lilas", "postal_code": "44000", "city": "Valbourg",
            "guardian_0_first_name": "Léa", "guardian_0_last_name": "Martin", "guardian_0_email": "Lea.Martin@example.org",
            "guardian_0_phone": "0612345678", "child_0_first_name": "Tom", "child_0_last_name": "Martin",
            "child_0_birth_date": "2021-03-04", "child_0_grade": "MS", **extra}


def test_a_request_is_recorded_without_any_account_or_email(client, db):
    assert reverse("portail:family_account_request") == URL
    response = client.post(URL, form())
    assert response.status_code == 302 and response.url == reverse("portail:family_account_request_done")
    request = FamilyAccountRequest.objects.get()
    assert request.status == "pending" and request.guardians[0]["email"] == "lea.martin@example.org"
    assert request.guardians[0]["phone"] == "06 12 34 56 78"
    assert request.children == [{"first_name": "Tom", "last_name": "Martin", "birth_date": "2021-03-04", "grade": "MS"}]
    assert not Household.objects.exists() and not Guardian.objects.exists() and not EmailLog.objects.exists()
    assert len(request.client_key) == 64 and "127.0.0.1" not in request.client_key


def test_errors_are_french_and_keep_what_was_typed(client, db):
    response = client.post(URL, form(child_0_grade="", postal_code="44", guardian_1_first_name="Paul"))
    text = response.content.decode()
    assert response.status_code == 200 and not FamilyAccountRequest.objects.exists()
    assert "Complétez ce champ pour cet enfant." in text and "Code postal invalide : 5 chiffres." in text
    assert "Pour le second responsable, indiquez prénom, nom et adresse email." in text
    assert 'value="3 rue des Lilas"' in text and 'aria-invalid="true"' in text


def test_a_robot_filling_the_hidden_field_records_nothing(client, db):
    response = client.post(URL, form(website="http://spam.example"))
    assert response.status_code == 302 and not FamilyAccountRequest.objects.exists()


def test_requests_are_rate_limited_per_origin_and_overall(db):
    def create(origin, now=NOW):
        return ar.account_request_create(family_name="X", address={"address_line1": "1 rue", "postal_code": "44000",
                                         "city": "V"}, guardians=[{"first_name": "A", "last_name": "B", "email": f"{origin}@x.org"}],
                                         children=[{"first_name": "C", "last_name": "B", "birth_date": datetime.date(2020, 1, 1),
                                                    "grade": "GS"}], origin=origin, now=now)

    for _ in range(ar.MAX_REQUESTS_PER_ORIGIN):
        create("10.0.0.1")
    with pytest.raises(ar.AccountRequestError, match="Trop de demandes"):
        create("10.0.0.1")
    later = NOW + ar.RATE_WINDOW + datetime.timedelta(seconds=1)
    create("10.0.0.1", now=later)
    for index in range(ar.MAX_REQUESTS_PER_WINDOW - 1):
        create(f"10.0.1.{index}", now=later)
    with pytest.raises(ar.AccountRequestError, match="Trop de demandes"):
        create("10.0.2.1", now=later)


def test_the_public_page_answers_429_when_the_limit_is_reached(client, db):
    for _ in range(ar.MAX_REQUESTS_PER_ORIGIN):
        assert client.post(URL, form()).status_code == 302
    response = client.post(URL, form())
    assert response.status_code == 429 and "Trop de demandes" in response.content.decode()


def test_staff_acceptance_creates_the_household_and_sends_the_activation_emails(client, db, gestionnaire,
                                                                                 django_capture_on_commit_callbacks):
    client.post(URL, form(guardian_1_first_name="Paul", guardian_1_last_name="Durand", guardian_1_email="paul@example.org"))
    request = FamilyAccountRequest.objects.get()
    client.force_login(gestionnaire)
    response = client.post(reverse("admin:core_familyaccountrequest_changelist"),
                           {"action": "accept_selected", "_selected_action": [request.pk]}, follow=True)
    assert "emails d&#x27;activation envoyés" in response.content.decode()
    household = Household.objects.get()
    assert household.name == "MARTIN" and household.city == "Valbourg"
    assert sorted(household.guardians.values_list("email", "is_billing_contact")) == [
        ("lea.martin@example.org", True), ("paul@example.org", False)]
    assert Child.objects.get(household=household).birth_date == datetime.date(2021, 3, 4)
    assert sorted(EmailLog.objects.filter(kind="account_activation").values_list("recipient", flat=True)) == [
        "lea.martin@example.org", "paul@example.org"]
    request.refresh_from_db()
    assert (request.status, request.household, request.decided_by) == ("accepted", household, gestionnaire)
    with pytest.raises(ar.AccountRequestError, match="déjà été traitée"):
        ar.account_request_accept(family_request=request, reviewer=gestionnaire)


def test_staff_refusal_creates_nothing_and_emails_nobody(client, db, gestionnaire):
    client.post(URL, form())
    request = FamilyAccountRequest.objects.get()
    ar.account_request_reject(family_request=request, reviewer=gestionnaire, note="Doublon")
    assert FamilyAccountRequest.objects.get().status == "rejected"
    assert not Household.objects.exists() and not EmailLog.objects.exists()


def test_a_request_with_a_known_email_is_not_accepted_twice(client, family, gestionnaire):
    client.post(URL, form(guardian_0_email="parent@example.org"))
    with pytest.raises(ar.AccountRequestError, match="Adresse déjà connue : parent@example.org"):
        ar.account_request_accept(family_request=FamilyAccountRequest.objects.get(), reviewer=gestionnaire)
    assert Household.objects.count() == 1


# --- Retention: no personal data left behind by people who never got an account --------------------


def _request(created_at, status="pending", decided_at=None, name="Martin"):
    return FamilyAccountRequest.objects.create(
        family_name=name, address_line1="3 rue des Lilas", postal_code="44000", city="Valbourg",
        guardians=[{"first_name": "Léa", "last_name": name, "email": f"{name.lower()}@example.org"}],
        children=[{"first_name": "Tom", "last_name": name, "birth_date": "2021-03-04", "grade": "MS"}],
        client_key="x", created_at=created_at, status=status, decided_at=decided_at)


def test_refused_and_long_unanswered_requests_are_deleted_after_the_retention(db, settings, caplog):
    settings.ACCOUNT_REQUEST_RETENTION_DAYS = 90
    old, recent = NOW - datetime.timedelta(days=91), NOW - datetime.timedelta(days=89)
    _request(old, name="Oublie")                                                  # unanswered for 91 days: deleted
    _request(old, status="rejected", decided_at=old, name="Refuse")               # refused 91 days ago: deleted
    _request(old, status="rejected", decided_at=recent, name="Refusetard")         # refused 89 days ago: kept
    _request(recent, name="Recente")                                              # sent 89 days ago: kept
    _request(old, status="accepted", decided_at=old, name="Acceptee")  # became a household: kept
    with caplog.at_level("INFO", logger="core.services.account_requests"):
        assert ar.account_requests_purge(now=NOW) == 2
    assert sorted(FamilyAccountRequest.objects.values_list("family_name", flat=True)) == [
        "Acceptee", "Recente", "Refusetard"]
    assert "1 refusée(s), 1 sans réponse" in caplog.text
    assert ar.account_requests_purge(now=NOW) == 0  # a rerun deletes nothing more


def test_the_daily_schedule_runs_the_account_requests_purge(db):
    from django_q.models import Schedule

    from core import tasks

    schedule = Schedule.objects.get(func="core.tasks.purge_account_requests")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert tasks.purge_account_requests() == 0


def test_anonymising_a_household_deletes_the_request_it_came_from(client, db, gestionnaire):
    from core.services.rgpd import household_anonymise

    client.post(URL, form())
    household = ar.account_request_accept(family_request=FamilyAccountRequest.objects.get(), reviewer=gestionnaire)
    household_anonymise(household=household)
    assert not FamilyAccountRequest.objects.exists()


def test_staff_see_how_long_requests_are_kept(client, gestionnaire, settings):
    settings.ACCOUNT_REQUEST_RETENTION_DAYS = 60
    client.force_login(gestionnaire)
    page = client.get(reverse("admin:core_familyaccountrequest_changelist")).content.decode()
    assert "une demande refusée, ou restée sans réponse, est supprimée 60 jours après son refus ou son envoi" in page

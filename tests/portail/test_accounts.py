"""Account lifecycle: activation, login and its throttling, forgotten password, password and email change."""

import datetime
import html
import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import EmailLog, Guardian, User
from core.services import accounts
from tests import factories
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "Cantine-du-lundi-2026"


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0).removeprefix("http://127.0.0.1:8000")


def send(callable_, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return callable_(**kwargs)


@pytest.fixture
def newcomer(town):
    """A guardian the town just recorded, with an email and no login yet."""
    household = factories.HouseholdFactory(reference="NOUVEAU", name="NOUVEAU")
    return factories.GuardianFactory(household=household, first_name="Inès", email="ines@example.org")


# --- activation --------------------------------------------------------------------------------


def test_activation_email_carries_a_choose_password_link(newcomer, django_capture_on_commit_callbacks):
    log = send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    [message] = mail.outbox
    assert message.to == ["ines@example.org"] and message.subject == "Activation de votre Espace Famille"
    assert "Choisir un mot de passe" in message.body and "Choisir un mot de passe" in message.alternatives[0].content
    assert "MON ESPACE" in message.alternatives[0].content
    assert log.kind == "account_activation" and log.household == newcomer.household
    assert link_in(message).startswith("/activer/")


def test_activation_is_not_sent_to_an_activated_account_or_without_email(family, town):
    assert accounts.guardian_send_activation(guardian=family.parent) is None
    no_email = factories.GuardianFactory(household=family.household, email=None)
    assert accounts.guardian_send_activation(guardian=no_email) is None
    assert not EmailLog.objects.exists()


def test_activation_page_sets_password_verifies_email_and_logs_in(
    client, newcomer, django_capture_on_commit_callbacks
):
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    url = link_in(mail.outbox[0])
    page = client.get(url)
    assert page.status_code == 200 and "Choisir un mot de passe" in page.text
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portail:home")
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is not None and newcomer.user.email == "ines@example.org"
    assert newcomer.user.check_password(NEW_PASSWORD) and not newcomer.user.is_staff
    assert get_user(client) == newcomer.user


def test_activation_link_works_once(client, newcomer, django_capture_on_commit_callbacks):
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    url = link_in(mail.outbox[0])
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = Client().post(url, {"new_password1": "Autre-mot-2026!", "new_password2": "Autre-mot-2026!"})
    assert again.status_code == 400 and "n'est plus valable" in again.text
    newcomer.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)


def test_activation_link_expires(client, newcomer, settings, django_capture_on_commit_callbacks):
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert client.get(link_in(mail.outbox[0])).status_code == 400


def test_a_resent_activation_also_works(client, newcomer, django_capture_on_commit_callbacks):
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    assert len(mail.outbox) == 2
    response = client.post(link_in(mail.outbox[1]), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302


def test_tampered_activation_link_is_refused(client, newcomer, other_family):
    token = accounts.activation_token_generator.make_token(newcomer)
    from django.utils.http import urlsafe_base64_encode

    other_uid = urlsafe_base64_encode(str(other_family.parent.pk).encode())
    assert client.get(reverse("portail:activate", args=[other_uid, token])).status_code == 400
    assert client.get(reverse("portail:activate", args=["zzz", token])).status_code == 400


def test_activation_refuses_a_weak_or_mismatched_password(client, newcomer, django_capture_on_commit_callbacks):
    send(accounts.guardian_send_activation, django_capture_on_commit_callbacks, guardian=newcomer)
    url = link_in(mail.outbox[0])
    weak = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "entièrement numérique" in weak.text
    mismatch = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert "ne sont pas identiques" in mismatch.text
    newcomer.refresh_from_db()
    assert newcomer.user is None and newcomer.email_verified_at is None


def test_activation_links_an_existing_login_of_the_same_address(newcomer):
    existing = factories.UserFactory(email="ines@example.org")
    user = accounts.guardian_activate(guardian=newcomer, password=NEW_PASSWORD)
    assert user == existing and User.objects.filter(email__iexact="ines@example.org").count() == 1


def test_creating_a_guardian_in_the_admin_sends_the_activation(
    client, staff_agent, town, django_capture_on_commit_callbacks
):
    household = factories.HouseholdFactory()
    client.force_login(staff_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_guardian_add"),
            {"household": household.pk, "civility": "MME", "first_name": "Anne", "last_name": "NEUVE", "email": "anne@example.org"},
        )
    assert response.status_code == 302, response.content
    [message] = mail.outbox
    assert message.to == ["anne@example.org"] and "Choisir un mot de passe" in message.body


def test_admin_action_sends_the_activation_to_the_selected_guardians(
    client, staff_agent, newcomer, family, django_capture_on_commit_callbacks
):
    client.force_login(staff_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_guardian_changelist"),
            {"action": "send_activation_action", "_selected_action": [newcomer.pk, family.parent.pk]},
            follow=True,
        )
    assert [m.to for m in mail.outbox] == [["ines@example.org"]]
    text = html.unescape(response.text)
    assert "Email d'activation envoyé" in text and "compte déjà activé" in text


# --- login, throttling, logout -------------------------------------------------------------------


def test_login_by_email_and_password(client, family):
    response = client.post(reverse("portail:login"), {"username": "Parent@Example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portail:home")
    assert get_user(client) == family.user


def test_wrong_password_is_refused_in_french(client, family):
    response = client.post(reverse("portail:login"), {"username": "parent@example.org", "password": "faux"})
    assert response.status_code == 200 and "Adresse email ou mot de passe incorrect" in response.text
    assert not get_user(client).is_authenticated


def test_repeated_failed_logins_are_throttled(client, family, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("portail:login"), {"username": "parent@example.org", "password": "faux"}).status_code == 200
    locked = client.post(reverse("portail:login"), {"username": "PARENT@example.org", "password": "faux"})
    assert locked.status_code == 429 and "Connexion temporairement bloquée" in locked.text
    right = client.post(reverse("portail:login"), {"username": "parent@example.org", "password": DEFAULT_PASSWORD})
    assert right.status_code == 429 and not get_user(client).is_authenticated


def test_pages_need_a_login(client, db):
    for name in ["portail:home", "portail:household", "portail:reservations", "portail:password_change", "portail:email_change"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("portail:login")), name


def test_logout_is_a_post(client, family):
    client.force_login(family.user)
    assert client.get(reverse("portail:logout")).status_code == 405
    response = client.post(reverse("portail:logout"))
    assert response.status_code == 302 and not get_user(client).is_authenticated


def test_login_form_is_csrf_protected(family):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("portail:login"), {"username": "parent@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403


# --- forgotten password --------------------------------------------------------------------------


def test_forgotten_password_answers_the_same_for_unknown_addresses(client, family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("portail:password_reset"), {"email": "parent@example.org"}, follow=True)
        unknown = client.post(reverse("portail:password_reset"), {"email": "personne@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("portail:password_reset_done"), 302)]
    assert known.text == unknown.text
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]


def test_forgotten_password_link_sets_a_new_password_and_logs_in(client, family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portail:password_reset"), {"email": "parent@example.org"})
    [message] = mail.outbox
    assert message.subject == "Réinitialisation de votre mot de passe"
    page = client.get(link_in(message), follow=True)
    form_url = page.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portail:home")
    family.user.refresh_from_db()
    assert family.user.check_password(NEW_PASSWORD) and get_user(client) == family.user
    assert Client().get(link_in(message), follow=True).context["validlink"] is False


def test_forgotten_password_of_a_guardian_never_activated_sends_the_activation(
    client, newcomer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portail:password_reset"), {"email": "INES@example.org"})
    [message] = mail.outbox
    assert message.subject == "Activation de votre Espace Famille"


def test_a_reset_lifts_the_lockout(client, family, settings, django_capture_on_commit_callbacks):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("portail:login"), {"username": "parent@example.org", "password": "faux"})
    accounts.user_password_reset_done(user=family.user)
    response = client.post(reverse("portail:login"), {"username": "parent@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


# --- password and email change --------------------------------------------------------------------


def test_password_change_keeps_the_parent_logged_in(client, family):
    client.force_login(family.user)
    response = client.post(
        reverse("portail:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    family.user.refresh_from_db()
    assert family.user.check_password(NEW_PASSWORD) and get_user(client) == family.user


def test_password_change_needs_the_old_password(client, family):
    client.force_login(family.user)
    response = client.post(
        reverse("portail:password_change"), {"old_password": "faux", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    family.user.refresh_from_db()
    assert family.user.check_password(DEFAULT_PASSWORD)


RECHECKS = {
    "portail:email_change": lambda password: {"new_email": "nouveau@example.org", "password": password},
    "portail:password_change": lambda password: {
        "old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD
    },
}


@pytest.mark.parametrize("page", RECHECKS)
def test_the_password_recheck_is_throttled_like_the_login(page, client, family, settings):
    client.force_login(family.user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse(page), RECHECKS[page]("faux"))
        assert response.status_code == 200 and "incorrect" in response.text
    locked = client.post(reverse(page), RECHECKS[page]("faux"))
    assert locked.status_code == 429 and "Connexion temporairement bloquée" in locked.text
    # Even the right password is refused now, on this page and at the login.
    right = client.post(reverse(page), RECHECKS[page](DEFAULT_PASSWORD))
    assert right.status_code == 429
    family.user.refresh_from_db()
    assert family.user.check_password(DEFAULT_PASSWORD) and mail.outbox == []
    login = Client().post(reverse("portail:login"), {"username": "parent@example.org", "password": DEFAULT_PASSWORD})
    assert login.status_code == 429


@pytest.mark.parametrize("page", RECHECKS)
def test_recheck_failures_add_up_with_failed_logins(page, client, family, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        Client().post(reverse("portail:login"), {"username": "parent@example.org", "password": "faux"})
    client.force_login(family.user)
    assert client.post(reverse(page), RECHECKS[page]("faux")).status_code == 429


def test_email_change_takes_effect_only_after_the_link(client, family, django_capture_on_commit_callbacks):
    client.force_login(family.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portail:email_change"), {"new_email": "Nouveau@Example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["nouveau@example.org"] and message.subject == "Confirmez votre nouvelle adresse email"
    family.parent.refresh_from_db()
    assert family.parent.email == "parent@example.org"

    url = link_in(message)
    assert "nouveau@example.org" in Client().get(url).text
    family.parent.refresh_from_db()
    assert family.parent.email == "parent@example.org"  # opening the link changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    family.parent.refresh_from_db()
    family.user.refresh_from_db()
    assert family.parent.email == family.user.email == "nouveau@example.org"
    assert get_user(client) == family.user
    [_, notice] = mail.outbox
    assert notice.to == ["parent@example.org"]
    assert notice.subject == "L'adresse email de votre Espace Famille a été modifiée"
    assert "no***@e***.org" in notice.body and "nouveau@example.org" not in notice.body
    assert client.post(url).status_code == 400  # used once
    assert len(mail.outbox) == 2


def test_the_old_address_is_told_of_the_change_with_the_new_one_masked(family, django_capture_on_commit_callbacks):
    send(accounts.guardian_request_email_change, django_capture_on_commit_callbacks, guardian=family.parent,
         new_email="nouveau@example.org")
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    changed_at = datetime.datetime(2026, 11, 27, 13, 28, tzinfo=datetime.UTC)  # 14h28 in Paris
    send(accounts.guardian_confirm_email_change, django_capture_on_commit_callbacks, token=token, now=changed_at)

    [_, notice] = mail.outbox
    assert notice.to == ["parent@example.org"]
    assert notice.subject == "L'adresse email de votre Espace Famille a été modifiée"
    guardian = family.parent
    assert notice.body == f"""Bonjour {guardian.first_name} {guardian.last_name},

L'adresse email de votre compte Espace Famille a été modifiée le vendredi 27 novembre 2026 à 14h28. \
La nouvelle adresse est no***@e***.org (masquée en partie) : elle sert désormais d'identifiant pour vous \
connecter et c'est à elle que l'Espace Famille écrira.

Si vous êtes à l'origine de ce changement, vous n'avez rien à faire.

Si ce n'est pas vous, quelqu'un a peut-être accédé à votre compte : contactez la mairie sans attendre pour \
qu'elle rétablisse votre adresse. Cette adresse-ci ne permet plus de vous connecter ni de réinitialiser votre \
mot de passe.

--
Mairie de Valbourg — Espace Famille
Ce message est envoyé automatiquement, merci de ne pas y répondre.

"""
    html_body = notice.alternatives[0].content
    assert "<strong>no***@e***.org</strong>" in html_body and "vendredi 27 novembre 2026 à 14h28" in html_body
    assert "contactez la mairie sans attendre" in html_body
    assert "nouveau@example.org" not in notice.body + html_body + notice.subject
    log = EmailLog.objects.get(kind="email_changed_notice")
    assert log.recipient == "parent@example.org" and log.household == family.household


@pytest.mark.parametrize(
    ("address", "masked"),
    [("nouveau@example.org", "no***@e***.org"), ("jo@gmail.com", "j***@g***.com"),
     ("jean.dupont@mairie.gouv.fr", "je***@m***.fr"), ("x@localhost", "x***@l***")],
)
def test_mask_email_keeps_only_what_lets_its_owner_recognise_it(address, masked):
    assert accounts.mask_email(address) == masked


def test_email_change_needs_the_password_and_a_free_address(client, family, other_family):
    client.force_login(family.user)
    wrong = client.post(reverse("portail:email_change"), {"new_email": "x@example.org", "password": "faux"})
    assert "Mot de passe incorrect" in wrong.text
    taken = client.post(reverse("portail:email_change"), {"new_email": "autre@example.org", "password": DEFAULT_PASSWORD})
    assert "déjà utilisée" in taken.text
    assert mail.outbox == []


def test_email_change_link_is_refused_once_the_address_was_taken_meanwhile(family, django_capture_on_commit_callbacks):
    send(accounts.guardian_request_email_change, django_capture_on_commit_callbacks, guardian=family.parent, new_email="n@example.org")
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    factories.UserFactory(email="n@example.org")
    with pytest.raises(Exception, match="déjà utilisée"):
        accounts.guardian_confirm_email_change(token=token)
    assert Guardian.objects.get(pk=family.parent.pk).email == "parent@example.org"


def _token(message):
    return link_in(message).rstrip("/").rsplit("/", 1)[1]


def test_an_email_change_link_cannot_be_replayed_after_changing_back(family, django_capture_on_commit_callbacks):
    """A→B then B→A: the A→B link must not apply again, though the address is A once more."""
    send(accounts.guardian_request_email_change, django_capture_on_commit_callbacks, guardian=family.parent,
         new_email="b@example.org")
    first = _token(mail.outbox[0])
    assert send(accounts.guardian_confirm_email_change, django_capture_on_commit_callbacks, token=first)
    family.parent.refresh_from_db()
    send(accounts.guardian_request_email_change, django_capture_on_commit_callbacks, guardian=family.parent,
         new_email="parent@example.org")
    back = _token(next(m for m in mail.outbox if m.to == ["parent@example.org"] and "/confirmer/" in m.body))
    assert send(accounts.guardian_confirm_email_change, django_capture_on_commit_callbacks, token=back)
    assert Guardian.objects.get(pk=family.parent.pk).email == "parent@example.org"

    assert accounts.email_change_from_token(token=first) is None
    assert accounts.guardian_confirm_email_change(token=first) is None
    assert Client().get(reverse("portail:email_change_confirm", args=[first])).status_code == 400
    assert Guardian.objects.get(pk=family.parent.pk).email == "parent@example.org"


def test_an_email_change_link_dies_when_the_password_changes(family, django_capture_on_commit_callbacks):
    send(accounts.guardian_request_email_change, django_capture_on_commit_callbacks, guardian=family.parent,
         new_email="b@example.org")
    token = _token(mail.outbox[0])
    family.user.set_password(NEW_PASSWORD)
    family.user.save()
    assert accounts.guardian_confirm_email_change(token=token) is None
    assert Guardian.objects.get(pk=family.parent.pk).email == "parent@example.org"


def test_forged_email_change_token_is_refused(client, family):
    assert client.get(reverse("portail:email_change_confirm", args=["abc:def"])).status_code == 400


def test_adding_a_guardian_inline_on_a_household_sends_the_activation(
    client, staff_agent, town, django_capture_on_commit_callbacks
):
    household = factories.HouseholdFactory()
    client.force_login(staff_agent)
    url = reverse("admin:core_household_change", args=[household.pk])
    data = {
        "reference": household.reference, "name": household.name, "is_resident": "on",
        "address_line1": household.address_line1, "postal_code": household.postal_code, "city": household.city,
        "notes": "",
        "guardians-TOTAL_FORMS": "1", "guardians-INITIAL_FORMS": "0",
        "guardians-0-first_name": "Paul", "guardians-0-last_name": "NEUF", "guardians-0-email": "paul@example.org",
        "guardians-0-civility": "M",
        "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
        "quotients-TOTAL_FORMS": "0", "quotients-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context and [f.errors for f in response.context.get("inline_admin_formsets", [])]
    assert [m.to for m in mail.outbox] == [["paul@example.org"]]

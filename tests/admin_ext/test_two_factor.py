"""Staff two-factor authentication: required of Régisseurs, Administrateurs and superusers before
any admin page, optional for Gestionnaires, never asked of parents; a French setup page (QR code,
manual key, a code to confirm, recovery codes shown once) and a verification step after the
password."""

import re

import pytest
from django.contrib.auth import get_user
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from core.services import two_factor
from tests import factories
from tests.factories import DEFAULT_PASSWORD, totp_code

ADMIN = "/admin/"
SETUP = "/admin/securite/double-authentification/"
VERIFY = "/admin/securite/verification/"


def password_only(user):
    """A client past the password, not (yet) the second factor."""
    client = Client()
    client.force_login(user, otp_verified=False)
    return client


@pytest.fixture
def superuser(db):
    return factories.StaffFactory(email="admin@example.org")


@pytest.mark.parametrize("persona", ["regisseur", "administrateur", "superuser"])
def test_the_admin_requires_the_second_factor_of_regisseurs_administrateurs_and_superusers(persona, request):
    user = request.getfixturevalue(persona)
    client = password_only(user)
    for path in (ADMIN, "/admin/core/household/", "/admin/core/emaillog/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith(SETUP), path
    assert client.get(response.url).status_code == 200


def test_second_factor_is_optional_for_a_gestionnaire(gestionnaire):
    client = password_only(gestionnaire)
    assert client.get(ADMIN).status_code == 200
    page = client.get(SETUP)
    assert page.status_code == 200 and "Plus tard" in page.text


def test_a_gestionnaire_who_set_it_up_must_use_it(gestionnaire):
    factories.TOTPDeviceFactory(user=gestionnaire)
    response = password_only(gestionnaire).get(ADMIN)
    assert response.status_code == 302 and response.url.startswith(VERIFY)


def test_parents_are_never_asked(client, family):
    client.force_login(family.user)
    assert client.get(reverse("portail:home")).status_code == 200
    assert client.get(reverse("portail:household")).status_code == 200
    # The admin is not theirs: its login page, not the second factor.
    response = client.get(ADMIN)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    assert client.get(SETUP).url.startswith(reverse("admin:login"))


def test_setup_shows_a_qr_code_and_a_manual_key_then_the_recovery_codes_once(regisseur):
    client = password_only(regisseur)
    page = client.get(SETUP, {"next": "/admin/core/invoice/"})
    text = page.text
    assert page.status_code == 200 and "Double authentification" in text and "obligatoire" in text
    assert "<svg" in text and "QR code" in text
    key = re.search(r'id="manual-key">([A-Z2-7 ]+)<', text).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=regisseur, confirmed=False)
    reloaded = re.search(r'id="manual-key">([A-Z2-7 ]+)<', client.get(SETUP).text).group(1).replace(" ", "")
    assert reloaded == key  # reloading keeps the key already scanned

    wrong = client.post(SETUP, {"code": "000000", "next": "/admin/core/invoice/"})
    assert "Code incorrect" in wrong.text and client.get(ADMIN).status_code == 302

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    done = client.post(SETUP, {"code": totp_code(device), "next": "/admin/core/invoice/"})
    assert done.status_code == 200 and "ne seront plus jamais affichés" in done.text
    codes = re.findall(r"<li[^>]*>([a-z2-7]{8})</li>", done.text)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert 'href="/admin/core/invoice/"' in done.text
    assert client.get(ADMIN).status_code == 200  # this session passed the second factor
    assert not any(code in client.get(SETUP).text for code in codes)  # never shown again


def test_login_then_verification_with_the_app_code(regisseur):
    device = factories.TOTPDeviceFactory(user=regisseur)
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": regisseur.email, "password": DEFAULT_PASSWORD, "next": "/admin/core/invoice/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    assert "Vérification en deux étapes" in response.text and get_user(client).is_authenticated

    wrong = client.post(VERIFY, {"code": "123456", "next": "/admin/core/invoice/"})
    assert wrong.status_code == 200 and "Code incorrect" in wrong.text
    assert client.get(ADMIN).status_code == 302

    # django-otp slows down a device after a failure: the next try waits a moment.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    right = client.post(VERIFY, {"code": totp_code(device), "next": "/admin/core/invoice/"})
    assert right.status_code == 302 and right.url == "/admin/core/invoice/"
    assert client.get(ADMIN).status_code == 200


def test_a_recovery_code_works_once(administrateur):
    factories.TOTPDeviceFactory(user=administrateur)
    [code, *_] = two_factor.recovery_codes_renew(user=administrateur)
    first = password_only(administrateur)
    assert first.post(VERIFY, {"code": code.upper()}).status_code == 302
    assert first.get(ADMIN).status_code == 200
    second = password_only(administrateur)
    assert "Code incorrect" in second.post(VERIFY, {"code": code}).text
    assert not StaticToken.objects.filter(token=code).exists()


def test_wrong_codes_are_throttled(administrateur):
    device = factories.TOTPDeviceFactory(user=administrateur)
    client = password_only(administrateur)
    for _ in range(3):
        client.post(VERIFY, {"code": "000000"})
    # Even the right code is refused while the device is throttled.
    assert "Code incorrect" in client.post(VERIFY, {"code": totp_code(device)}).text
    assert client.get(ADMIN).status_code == 302


def test_a_password_alone_cannot_replace_the_second_factor(regisseur):
    factories.TOTPDeviceFactory(user=regisseur)
    client = password_only(regisseur)
    response = client.get(SETUP)
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=regisseur).count() == 1


def test_verification_never_sends_elsewhere(regisseur):
    device = factories.TOTPDeviceFactory(user=regisseur)
    client = password_only(regisseur)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://pirate.example/admin/"})
    assert response.status_code == 302 and response.url == ADMIN


def test_an_administrator_resets_a_lost_second_factor(client, administrateur, regisseur):
    factories.TOTPDeviceFactory(user=regisseur)
    two_factor.recovery_codes_renew(user=regisseur)
    client.force_login(administrateur)
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [regisseur.pk]},
        follow=True,
    )
    assert "Double authentification réinitialisée" in response.text
    assert not two_factor.two_factor_enrolled(regisseur)
    assert password_only(regisseur).get(ADMIN).url.startswith(SETUP)


def test_the_second_factor_secrets_are_not_in_the_admin(client, administrateur):
    client.force_login(administrateur)
    for path in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"):
        assert client.get(path).status_code == 404


def test_the_demo_admin_is_led_to_the_setup_page_at_first_login(db):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": "admin@example.org", "password": "espacefamille", "next": ADMIN}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(SETUP) and "Double authentification" in response.text


@pytest.mark.parametrize("page", [SETUP, VERIFY])
def test_two_factor_pages_never_fail_on_any_input(page, regisseur):
    """Fuzzing: whatever is posted, no server error, no second factor passed, no redirect away."""
    if page == VERIFY:
        factories.TOTPDeviceFactory(user=regisseur)
        two_factor.recovery_codes_renew(user=regisseur)
    client = password_only(regisseur)

    @given(code=st.text(max_size=40), next_url=st.one_of(st.text(max_size=60), st.sampled_from(["//pirate.example", "https://x.y/"])))
    @hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def exercise(code, next_url):
        response = client.post(page, {"code": code, "next": next_url})
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert not response.url.startswith(("http", "//")), response.url
        assert client.get(ADMIN).status_code == 302

    exercise()

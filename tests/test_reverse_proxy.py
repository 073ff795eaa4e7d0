"""Behind the reverse proxy of docs/deploiement.md every connection comes from the proxy: the
login lockout must count failures per client address, read from what the proxy appended to
X-Forwarded-For, not from what a client wrote there."""

import pytest
from django.test import Client
from django.urls import reverse

from config.settings import axes_client_address_settings
from tests.factories import DEFAULT_PASSWORD

PROXY = "127.0.0.1"
ATTACKER = "203.0.113.7"
PARENT = "198.51.100.20"


def behind_proxy(client_address, spoofed=None):
    """A client as gunicorn sees it behind nginx: connecting from the proxy, with the client's
    address appended (after whatever the client sent itself)."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def login(client, password):
    return client.post(reverse("portail:login"), {"username": "parent@example.org", "password": password})


@pytest.fixture
def one_proxy(settings):
    for name, value in axes_client_address_settings(1).items():
        setattr(settings, name, value)


def test_a_client_locked_behind_the_proxy_does_not_lock_another(one_proxy, family, settings):
    attacker = behind_proxy(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, "faux")
    assert login(attacker, DEFAULT_PASSWORD).status_code == 429
    assert login(behind_proxy(PARENT), DEFAULT_PASSWORD).status_code == 302


def test_a_client_cannot_escape_its_lockout_by_writing_x_forwarded_for(one_proxy, family, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(behind_proxy(ATTACKER, spoofed=f"10.0.0.{n}"), "faux")
    assert login(behind_proxy(ATTACKER, spoofed="10.0.0.99"), DEFAULT_PASSWORD).status_code == 429
    # …nor lock someone else by writing their address.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(behind_proxy(ATTACKER, spoofed=PARENT), "faux")
    assert login(behind_proxy(PARENT), DEFAULT_PASSWORD).status_code == 302


def test_without_a_proxy_the_connection_address_is_the_client(family, settings):
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=PARENT), "faux")
    assert login(Client(REMOTE_ADDR=PARENT), DEFAULT_PASSWORD).status_code == 302
    assert login(Client(REMOTE_ADDR=ATTACKER), DEFAULT_PASSWORD).status_code == 429


def test_the_proxy_count_is_read_from_the_environment():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "from django.conf import settings; print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_COUNT)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REVERSE_PROXY_COUNT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.strip() == "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') 0", result.stderr

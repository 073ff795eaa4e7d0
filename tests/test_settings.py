import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "HTTPS": "1",
    "ALLOWED_HOSTS": "famille.valbourg.fr",
    "PAYMENT_BACKEND": "payfip",
    "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
    "ANYMAIL_MAILGUN_API_KEY": "key-test",
}


def _check_deploy(extra_env):
    ignored = {*PRODUCTION_ENV, "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_in_production_settings():
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_development_secret_and_the_simulator():
    env = {**PRODUCTION_ENV, "PAYMENT_BACKEND": "simulator"}
    del env["SECRET_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "core.E001" in result.stderr and "core.E002" in result.stderr


def test_settings_are_french_and_in_paris_time(settings):
    assert settings.LANGUAGE_CODE == "fr" and settings.TIME_ZONE == "Europe/Paris" and settings.USE_TZ


def _settings_in_a_fresh_process(extra_env, expression):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-c", f"import json, django; django.setup(); from django.conf import settings; print(json.dumps({expression}))"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_are_on_the_local_disk_unless_a_bucket_is_named():
    storage = _settings_in_a_fresh_process({}, 'settings.STORAGES["default"]')
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_puts_files_on_private_s3_storage_from_the_environment():
    storage = _settings_in_a_fresh_process(
        {
            "AWS_STORAGE_BUCKET_NAME": "espacefamille-valbourg", "AWS_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
            "AWS_S3_REGION_NAME": "fr-par", "AWS_ACCESS_KEY_ID": "SCWKEY", "AWS_SECRET_ACCESS_KEY": "secret",
        },
        'settings.STORAGES["default"]',
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "espacefamille-valbourg", "https://s3.fr-par.scw.cloud", "fr-par"
    )
    assert (options["access_key"], options["secret_key"]) == ("SCWKEY", "secret")
    # Private objects, signed short-lived URLs, and never two writers on one key.
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["querystring_expire"] == 300 and options["file_overwrite"] is False


def test_sessions_are_read_from_redis_when_every_web_process_shares_it():
    shared = _settings_in_a_fresh_process({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "settings.SESSION_ENGINE")
    assert shared == "django.contrib.sessions.backends.cached_db"
    # Without Redis the cache is per process: sessions stay in the database alone.
    assert _settings_in_a_fresh_process({}, "settings.SESSION_ENGINE") == "django.contrib.sessions.backends.db"


def test_site_url_follows_the_served_host_and_port_unless_it_is_set():
    def site_url(**env):
        plain = {"SITE_URL": "", "HOST": "", "PORT": ""}
        return _settings_in_a_fresh_process({**plain, **env}, "settings.SITE_URL")

    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(PORT="8001") == "http://127.0.0.1:8001"
    assert site_url(HOST="localhost", PORT="8002") == "http://localhost:8002"
    assert site_url(HOST="0.0.0.0", PORT="8003") == "http://127.0.0.1:8003"  # a wildcard is reached on the loopback
    assert site_url(HOST="::1", PORT="8004") == "http://[::1]:8004"
    assert site_url(SITE_URL="https://famille.valbourg.fr/", PORT="8001") == "https://famille.valbourg.fr"


def test_fake_today_moves_the_clock_for_the_whole_run(pytestconfig):
    """`FAKE_TODAY` (or --fake-today), as .ci/run sets it, moves the clock of the run to that Paris time."""
    import datetime
    from zoneinfo import ZoneInfo

    import pytest
    from django.utils import timezone

    value = pytestconfig.getoption("--fake-today")
    if not value:
        pytest.skip("FAKE_TODAY is not set: the run is on the real clock")
    moment = datetime.datetime.fromisoformat(value).replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert moment <= timezone.now() < moment + datetime.timedelta(hours=3)

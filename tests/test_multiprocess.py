"""Two web processes and two django-q2 workers over Redis, against the test database: a booking
walks across them (log in on web 1, add to the basket on web 2, validate on web 1) and a worker
sends the confirmation email. Sessions, CSRF tokens and tasks must all cross process lines."""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from core.models import Booking, EmailLog
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/11"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url():
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _wait_for(url, processes, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert all(p.poll() is None for p in processes), "a process died while starting"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def stack(transactional_db, tmp_path):
    """Web 1, web 2 (gunicorn) and two qcluster workers; every process is stopped afterwards."""
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    env = {
        **os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": REDIS_URL, "EMAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0", "DEBUG": "0", "Q_WORKERS": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "var" / "media"),
    }
    env.pop("Q_SYNC", None)
    # DEBUG off serves hashed static files, as in production: collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    ports = [_free_port(), _free_port()]
    bin_dir = Path(sys.executable).parent
    commands = [
        [str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"] for port in ports
    ] + [[sys.executable, "manage.py", "qcluster"]] * 2
    processes, logs = [], []
    try:
        for index, command in enumerate(commands):
            log = open(tmp_path / f"process-{index}.log", "wb")  # noqa: SIM115  (closed below)
            logs.append(log)
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            _wait_for(f"{url}/sante/", processes)
        yield urls, tmp_path / "outbox"
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for log in logs:
            log.close()


def _csrf(session):
    return session.cookies.get("csrftoken")


@pytest.mark.postgres
def test_a_booking_walks_across_two_web_processes_and_a_worker_sends_the_email(stack, family, town):
    (web1, web2), outbox = stack
    junior = family.children[0]
    browser = requests.Session()
    assert browser.get(f"{web1}/connexion/", timeout=10).status_code == 200
    response = browser.post(
        f"{web1}/connexion/",
        {"username": family.parent.email, "password": factories.DEFAULT_PASSWORD, "csrfmiddlewaretoken": _csrf(browser)},
        headers={"Referer": f"{web1}/connexion/"}, allow_redirects=False, timeout=10,
    )
    assert response.status_code == 302, response.text[:500]

    day, added = datetime.date.today() + datetime.timedelta(days=7), None
    for _ in range(40):  # the first day still open for booking (no holiday, no closure)
        if day.weekday() < 5:
            added = browser.post(
                f"{web2}/api/v1/basket/items/",
                json={"child_id": junior.pk, "activity_id": town.repas_maternelle.pk, "date": day.isoformat(), "action": "book"},
                headers={"X-CSRFToken": _csrf(browser), "Referer": f"{web2}/"}, timeout=10,
            )
            if added.status_code == 201:
                break
            assert added.status_code == 400, added.text[:500]
        day += datetime.timedelta(days=1)
    assert added is not None and added.status_code == 201, added.text[:500]

    response = browser.post(
        f"{web1}/espace-famille/panier/valider/", {"csrfmiddlewaretoken": _csrf(browser), "date": day.isoformat()},
        headers={"Referer": f"{web1}/espace-famille/"}, allow_redirects=False, timeout=20,
    )
    assert response.status_code == 302, response.text[:500]
    assert Booking.objects.filter(child=junior, date=day).exists()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log = EmailLog.objects.filter(kind="basket_validation").first()
        if log is not None and log.status == EmailLog.Status.SENT:
            break
        time.sleep(0.5)
    assert log is not None and log.status == EmailLog.Status.SENT, log and (log.status, log.error)
    sent = list(outbox.glob("*.log"))
    assert len(sent) == 1 and family.parent.email in sent[0].read_text()

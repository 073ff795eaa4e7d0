"""Two web processes and two django-q2 workers over Redis, against the test database and one S3
bucket, started once for the module. A booking walks across them (log in on web A, add to the
basket on web B, validate on web A) and a worker sends the confirmation; a payment walks across
them too (staff issue a run whose invoice a worker renders into the bucket, the parent pays on web
A, PayFiP's notification lands on web B, a worker fetches the result and sends the ticket, web A
shows the invoice paid). Sessions, CSRF tokens, tasks and files must all cross process lines.

On a shared machine, TEST_REDIS_URL picks the Redis database (flushed at start) and
TEST_WEB_PORTS ("8611,8612") the two web ports; otherwise any free ports are used."""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone

from core.models import Booking, EmailLog, Invoice, InvoiceRun, Payment, SchoolYear
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


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


def _web_ports():
    wanted = os.environ.get("TEST_WEB_PORTS")
    return [int(port) for port in wanted.split(",")] if wanted else [_free_port(), _free_port()]


@dataclass
class Stack:
    web_a: str
    web_b: str
    outbox: Path
    bucket: object

    def emails(self, since=()):
        """The emails written to the outbox, except those in `since`: {file: parsed message}."""
        return {
            path: message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.outbox.glob("*.log")) if path not in since
        }


@pytest.fixture(autouse=True)
def _production_password_hasher(settings):
    """The web processes started here check passwords with the production hashers: the test's
    users are created with them too."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory, s3_server):
    """Web A, web B (gunicorn) and two qcluster workers, sharing the test database, a Redis
    database and an S3 bucket; started once for the module's tests, every process stopped after.
    SITE_URL is web B: PayFiP's notifications and the simulator's SOAP endpoint are there."""
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import boto3
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # no task left over from an earlier run
    tmp_path = tmp_path_factory.mktemp("stack")
    ports = _web_ports()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    storage = {
        "AWS_STORAGE_BUCKET_NAME": "espacefamille-multiprocess", "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "eu-west-3", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    client = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-3", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket=storage["AWS_STORAGE_BUCKET_NAME"],
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    env = {
        **os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": REDIS_URL, "EMAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0", "DEBUG": "0", "Q_WORKERS": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "var" / "media"), "SITE_URL": urls[1],
        "PAYMENT_BACKEND": "simulator", "PAYFIP_SIMULATOR_ALLOWED": "1", "PAYFIP_SIMULATOR_NOTIFICATION": "deliver",
        **storage,
    }
    env.pop("Q_SYNC", None)
    # DEBUG off serves hashed static files, as in production: collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
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
        for url in urls:
            _wait_for(f"{url}/sante/", processes)
        yield Stack(web_a=urls[0], web_b=urls[1], outbox=tmp_path / "outbox",
                    bucket=_Bucket(client, storage["AWS_STORAGE_BUCKET_NAME"]))
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
        redis.Redis.from_url(REDIS_URL).flushdb()


@dataclass
class _Bucket:
    client: object
    name: str

    def read(self, key):
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


def _until(condition, what, timeout=90):
    """Poll the database until `condition()` returns something true (a worker is at work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: still not done after {timeout} s")


def _csrf(session):
    return session.cookies.get("csrftoken")


def _log_in(session, base, email, path="/connexion/"):
    assert session.get(f"{base}{path}", timeout=10).status_code == 200
    response = session.post(
        f"{base}{path}",
        {"username": email, "password": factories.DEFAULT_PASSWORD, "csrfmiddlewaretoken": _csrf(session)},
        headers={"Referer": f"{base}{path}"}, allow_redirects=False, timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def _pass_second_factor(session, base, user):
    """The admin's step after the password (required of a superuser): the code of their app."""
    device = factories.TOTPDeviceFactory(user=user)
    path = "/admin/securite/verification/"
    assert session.get(f"{base}{path}", timeout=10).status_code == 200
    response = _post(session, f"{base}{path}", {"code": factories.totp_code(device), "next": "/admin/"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/", response.text[:500]


def _post(session, url, data=None, **kwargs):
    """A form POST the way a browser sends it: the CSRF token of the session, no redirect followed."""
    return session.post(url, {**(data or {}), "csrfmiddlewaretoken": _csrf(session)}, headers={"Referer": url},
                        allow_redirects=False, timeout=kwargs.pop("timeout", 30), **kwargs)


@pytest.mark.postgres
def test_a_booking_walks_across_two_web_processes_and_a_worker_sends_the_email(stack, transactional_db, family, town):
    web_a, web_b = stack.web_a, stack.web_b
    before = set(stack.emails())
    junior = family.children[0]
    browser = requests.Session()
    _log_in(browser, web_a, family.parent.email)

    # The servers run in other processes, on the real clock: the school year runs around today,
    # whatever today is, so that a day a week or more ahead can still be booked.
    today = timezone.localdate()
    SchoolYear.objects.filter(pk=town.school_year.pk).update(
        start_date=today - datetime.timedelta(days=60), end_date=today + datetime.timedelta(days=120)
    )
    day, added = today + datetime.timedelta(days=7), None
    for _ in range(40):  # the first day still open for booking (no holiday, no closure)
        if day.weekday() < 5:
            added = browser.post(
                f"{web_b}/api/v1/basket/items/",
                json={"child_id": junior.pk, "activity_id": town.repas_maternelle.pk, "date": day.isoformat(), "action": "book"},
                headers={"X-CSRFToken": _csrf(browser), "Referer": f"{web_b}/"}, timeout=10,
            )
            if added.status_code == 201:
                break
            assert added.status_code == 400, added.text[:500]
        day += datetime.timedelta(days=1)
    assert added is not None and added.status_code == 201, added.text[:500]

    response = _post(browser, f"{web_a}/espace-famille/panier/valider/", {"date": day.isoformat()})
    assert response.status_code == 302, response.text[:500]
    assert Booking.objects.filter(child=junior, date=day).exists()

    log = _until(
        lambda: EmailLog.objects.filter(kind="basket_validation", status=EmailLog.Status.SENT).first(),
        "the basket email sent by a worker", timeout=60,
    )
    [sent] = stack.emails(since=before).values()
    assert sent["To"] == family.parent.email == log.recipient and sent["Subject"] == log.subject


OCTOBER_DAYS = [datetime.date(2026, 10, d) for d in (5, 6, 8, 9)]


@pytest.mark.postgres
def test_a_payment_walks_across_two_web_processes_and_the_workers(stack, transactional_db, family, town, staff_agent):
    from django_q.models import Schedule

    from core.payfip_simulator.models import PayfipSimulatorOperation

    web_a, web_b = stack.web_a, stack.web_b
    # The periodic reconciliation would conclude the attempt too: hold it off, so that what
    # concludes it here is PayFiP's notification.
    Schedule.objects.update(next_run=timezone.now() + datetime.timedelta(days=1))
    bracket = factories.QuotientBracketFactory(label="Unique", min_value=0, max_value=None)
    factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price=Decimal("3.70"))
    for day in OCTOBER_DAYS:
        factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=day)
    before = set(stack.emails())

    # Staff create October's run on web B and a worker computes the draft; they issue it on web
    # A and a worker renders the PDF into the bucket and emails it.
    staff = requests.Session()
    _log_in(staff, web_b, staff_agent.email, path="/admin/login/")
    _pass_second_factor(staff, web_b, staff_agent)
    response = _post(staff, f"{web_b}/admin/core/invoicerun/add/", {"regie": town.regie.pk, "month": "15/10/2026", "due_date": ""})
    assert response.status_code == 302, response.text[:2000]
    run = _until(lambda: InvoiceRun.objects.filter(status=InvoiceRun.Status.DRAFT).first(), "the draft computed by a worker")
    response = _post(staff, f"{web_a}/admin/core/invoicerun/{run.pk}/emettre/", {"_form_submitted": "on"})
    assert response.status_code == 302, response.text[:2000]
    invoice = _until(
        lambda: Invoice.objects.filter(household=family.household, status=Invoice.Status.UNPAID).exclude(pdf="").first(),
        "the invoice PDF rendered by a worker",
    )
    assert invoice.total == Decimal("14.80") and stack.bucket.read(invoice.pdf.name).startswith(b"%PDF")
    _until(lambda: EmailLog.objects.filter(kind="invoice_available", status=EmailLog.Status.SENT).exists(),
           "the invoice email sent by a worker")

    # The parent selects the invoice on web B and presses Payer on web A: off to PayFiP's page.
    parent = requests.Session()
    _log_in(parent, web_a, family.parent.email)
    assert _post(parent, f"{web_b}/factures/panier/", {"invoice": invoice.pk, "action": "ajouter"}).status_code == 302
    response = _post(parent, f"{web_a}/factures/payer/")
    assert response.status_code == 302, response.text[:2000]
    payfip_page = urllib.parse.urlsplit(response.headers["Location"])
    assert payfip_page.path == "/simulateur-payfip/paiement"
    idop = urllib.parse.parse_qs(payfip_page.query)["idop"][0]
    payment = Payment.objects.get(idop=idop)
    assert payment.status == Payment.Status.INITIATED and payment.amount == Decimal("14.80")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAYMENT_IN_PROGRESS
    assert parent.get(response.headers["Location"], timeout=10).status_code == 200

    # The card is accepted on the simulator served by web A, standing in for PayFiP's site; it
    # notifies SITE_URL, web B, server to server, and sends the browser back.
    response = parent.post(f"{web_a}/simulateur-payfip/paiement/resultat",
                           {"idop": idop, "resultrans": "P", "notification": "deliver"}, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:2000]
    back = urllib.parse.urlsplit(response.headers["Location"])
    assert back.path == f"/paiements/{payment.uuid}/retour/"
    operation = PayfipSimulatorOperation.objects.get(idop=idop)
    assert operation.urlnotif == f"{web_b}/paiements/{payment.uuid}/notification/"
    assert operation.last_notification_status == "HTTP 200"

    # The return page is not opened yet (it would ask PayFiP itself): the notification on web B
    # enqueued the check, and a worker fetches the result, settles the invoice and sends the ticket.
    payment = _until(lambda: Payment.objects.filter(pk=payment.pk, status=Payment.Status.PAID).first(),
                     "the payment concluded after the notification")
    events = list(payment.events.order_by("pk").values_list("kind", "message"))
    assert ("notification", "Notification de PayFiP reçue.") in events
    assert ("paid", "Résultat PayFiP P (notification).") in events
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    ticket = _until(lambda: EmailLog.objects.filter(kind="payment_ticket", status=EmailLog.Status.SENT).first(),
                    "the payment ticket sent by a worker")
    assert ticket.recipient == family.parent.email

    # Read through web A: paid, archived, its PDF streamed from the bucket.
    page = parent.get(f"{web_a}{back.path}?{back.query}", timeout=10).text
    assert "Paiement accepté" in page and f"N° {invoice.number}" in page
    archived = parent.get(f"{web_a}/factures/archivees/", timeout=10).text
    assert f"N° {invoice.number}" in archived and "PAYÉE" in archived
    assert f"N° {invoice.number}" not in parent.get(f"{web_a}/factures/", timeout=10).text
    pdf = parent.get(f"{web_a}/factures/{invoice.pk}/pdf/", timeout=10)
    assert pdf.status_code == 200 and pdf.content == stack.bucket.read(invoice.pdf.name)

    sent = stack.emails(since=before).values()
    assert sorted((m["To"], m["Subject"]) for m in sent) == sorted([
        (family.parent.email, f"Votre facture est disponible — n° {invoice.number}"),
        (family.parent.email, "Ticket de paiement — 14,80 €"),
    ])

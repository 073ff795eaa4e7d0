"""Shared fixtures: a small town and the personas of ../shared/CONVENTIONS.md (the house rules)."""

import datetime
import os
from pathlib import Path
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client, override_settings

from core.models import Activity, Child, DeadlineRule
from tests import factories
from tests.figures import RACES


def pytest_addoption(parser):
    parser.addoption(
        "--fake-today", default=os.environ.get("FAKE_TODAY", ""),
        help="Run the whole session on this Paris date and time (e.g. 2027-01-01T08:30), the clock ticking "
        "from there: proves the suite passes on any day. Also read from FAKE_TODAY.",
    )


def pytest_configure(config):
    """With --fake-today (or FAKE_TODAY), travel before any fixture or test reads the clock."""
    value = config.getoption("--fake-today")
    if not value:
        return
    import time_machine
    from zoneinfo import ZoneInfo

    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    value = config.getoption("--fake-today")
    return f"fake today (Europe/Paris): {value}" if value else None


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    """Tests run without collectstatic: serve static files from the apps, unhashed."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns without it
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_inline():
    """django-q2 runs tasks inline in tests: the real task code runs, without a worker."""
    from django_q.conf import Conf

    previous, Conf.SYNC = Conf.SYNC, True
    yield
    Conf.SYNC = previous


@pytest.fixture(autouse=True)
def _staff_force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(staff)` stands for a staff member who completed the whole admin login,
    second factor included (tests/factories.login_verified): the admin requires it of Régisseurs,
    Administrateurs and superusers. `force_login(user, otp_verified=False)` stops after the
    password, as the two-factor tests need."""
    original = Client.force_login

    def force_login(self, user, backend=None, *, otp_verified=True):
        original(self, user, backend)
        if otp_verified and user.is_staff:
            factories.login_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="session", autouse=True)
def _payfip_simulator_allowed():
    """The suite runs with DEBUG off; the PayFiP simulator must still serve (it is the test backend)."""
    with override_settings(PAYFIP_SIMULATOR_ALLOWED=True):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Django's password hasher costs about a second per password on this machine, on purpose;
    tests need no resistance to brute force (Django's testing guide recommends a fast hasher)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 HTTP server (moto) on 127.0.0.1, for the whole run: TEST_S3_PORT, or any free port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(os.environ.get("TEST_S3_PORT") or 0), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Bucket:
    name: str
    client: object
    environ: dict

    def keys(self):
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])]

    def read(self, key):
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """A fresh private bucket as the default storage, configured as production configures it."""
    import uuid

    import boto3

    from config.settings import s3_storage

    environ = {
        "AWS_STORAGE_BUCKET_NAME": f"espacefamille-{uuid.uuid4().hex[:12]}", "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "eu-west-3", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="eu-west-3", aws_access_key_id="test", aws_secret_access_key="test"
    )
    name = environ["AWS_STORAGE_BUCKET_NAME"]
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(environ)}
    return Bucket(name=name, client=client, environ=environ)


@pytest.fixture
def payfip_receiver():
    """A local HTTP server recording notifications (POST /notif) and returns (GET /retour)."""
    from tests.payfip_receiver import start_receiver

    receiver, stop = start_receiver()
    yield receiver
    stop()


def pytest_collection_modifyitems(config, items):
    on_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (row locks, concurrency): runs in CI with DATABASE_URL")
    for item in items:
        if on_sqlite and "postgres" in item.keywords:
            item.add_marker(skip_pg)


@dataclass
class Town:
    regie: object
    maternelle: object
    elementaire: object
    school_year: object
    meals_rule: object
    childcare_rule: object
    repas_maternelle: object
    repas_primaire: object
    garderie_soir: object


@pytest.fixture
def town(db):
    regie = factories.RegieFactory(name="Régie de la restauration scolaire", invoice_prefix="RS")
    childcare_regie = factories.RegieFactory(name="Régie du périscolaire", invoice_prefix="PE")
    meals_rule = factories.DeadlineRuleFactory(name="Repas : J-2 ouvrés 10h", kind=DeadlineRule.Kind.WORKING_DAYS, days=2)
    childcare_rule = factories.DeadlineRuleFactory(
        name="Garderie : veille 18h", kind=DeadlineRule.Kind.CALENDAR_DAYS, days=1, time=datetime.time(18, 0)
    )
    factories.ClosureFactory()
    return Town(
        regie=regie,
        maternelle=factories.SchoolFactory(name="École maternelle Les Tilleuls"),
        elementaire=factories.ElementarySchoolFactory(name="École élémentaire Jules-Ferry"),
        school_year=factories.SchoolYearFactory(),
        meals_rule=meals_rule,
        childcare_rule=childcare_rule,
        repas_maternelle=factories.ActivityFactory(
            name="Repas maternelle", code="repas-maternelle", regie=regie, booking_rule=meals_rule, grades=["PS", "MS", "GS"]
        ),
        repas_primaire=factories.ActivityFactory(
            name="Repas primaire",
            code="repas-primaire",
            regie=regie,
            booking_rule=meals_rule,
            grades=["CP", "CE1", "CE2", "CM1", "CM2"],
        ),
        garderie_soir=factories.ActivityFactory(
            name="Garderie soir",
            code="garderie-soir",
            kind=Activity.Kind.CHILDCARE,
            regie=childcare_regie,
            booking_rule=childcare_rule,
            grades=[g for g, _ in Child.Grade.choices],
        ),
    )


@dataclass
class Family:
    household: object
    guardians: list
    children: list

    @property
    def parent(self):
        return self.guardians[0]

    @property
    def user(self):
        return self.guardians[0].user


@pytest.fixture
def family(town):
    """A household with two children (maternelle and élémentaire) and one parent with a login."""
    household = factories.HouseholdFactory(reference="TEST", name="TEST")
    parent = factories.ParentFactory(household=household, email="parent@example.org", is_billing_contact=True)
    junior = factories.ChildFactory(household=household, first_name="Junior", grade="MS", school=town.maternelle)
    sister = factories.ChildFactory(household=household, first_name="Lise", grade="CE1", school=town.elementaire)
    factories.EnrolmentFactory(child=junior, activity=town.repas_maternelle, school_year=town.school_year)
    factories.EnrolmentFactory(child=sister, activity=town.repas_primaire, school_year=town.school_year)
    factories.EnrolmentFactory(child=sister, activity=town.garderie_soir, school_year=town.school_year)
    return Family(household=household, guardians=[parent], children=[junior, sister])


@pytest.fixture
def separated_couple(town):
    """Separated parents of one household, each with their own login."""
    household = factories.HouseholdFactory(reference="MARTIN-DUVAL", name="MARTIN-DUVAL")
    mother = factories.ParentFactory(
        household=household, civility="MME", first_name="Claire", last_name="MARTIN", email="parent2a@example.org",
        is_billing_contact=True,
    )
    father = factories.ParentFactory(
        household=household, first_name="Thomas", last_name="DUVAL", email="parent2b@example.org"
    )
    child = factories.ChildFactory(household=household, first_name="Tom", grade="GS", school=town.maternelle)
    factories.EnrolmentFactory(child=child, activity=town.repas_maternelle, school_year=town.school_year)
    return Family(household=household, guardians=[mother, father], children=[child])


@pytest.fixture
def other_family(town):
    household = factories.HouseholdFactory(reference="AUTRE", name="AUTRE")
    parent = factories.ParentFactory(household=household, email="autre@example.org")
    child = factories.ChildFactory(household=household, first_name="Zoé", grade="PS", school=town.maternelle)
    factories.EnrolmentFactory(child=child, activity=town.repas_maternelle, school_year=town.school_year)
    return Family(household=household, guardians=[parent], children=[child])


@pytest.fixture
def staff_agent(db):
    return factories.StaffFactory(email="agent@mairie.test")


@pytest.fixture
def gestionnaire(db):
    return factories.RoleStaffFactory(email="gestionnaire@mairie.test", role="Gestionnaire")


@pytest.fixture
def regisseur(db):
    return factories.RoleStaffFactory(email="regisseur@mairie.test", role="Régisseur")


@pytest.fixture
def administrateur(db):
    return factories.RoleStaffFactory(email="administrateur@mairie.test", role="Administrateur")


# --- Figures printed at the end of the run ------------------------------------------------------------

def pytest_terminal_summary(terminalreporter):
    """What the run exercised: the access matrix, the API fuzzing and the races."""
    import sys

    def figure(module, key):
        found = sys.modules.get(module)
        return getattr(found, "FIGURES", {}).get(key, 0) if found else 0

    terminalreporter.section("figures")
    terminalreporter.write_line(f"endpoints × roles checked: {figure('tests.test_access_matrix', 'checks')}")
    terminalreporter.write_line(f"fuzz cases run: {figure('tests.portail.test_api_fuzz', 'cases')}")
    terminalreporter.write_line(f"races tried: {RACES['tried']}")

"""The medical certificate of a declared absence: each service's rule says when one is needed,
the parent sends it with the declaration or within ABSENCE_CERTIFICATE_DAYS, and a declaration
missing a required certificate cannot be accepted."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AbsenceCertificateRule, AbsenceDeclaration, AbsenceReason, Attendance, EmailLog, HouseholdDocument
from core.services.absences import absence_certificate_add, absence_declare, absence_review
from core.services.deadlines import PARIS
from tests.core.test_billing import MON, TUE, book
from tests.core.test_documents import EXE, PDF, PNG

SICK_MORNING = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=PARIS)  # Tuesday: Monday and Tuesday are past their deadline
DUE = datetime.date(2026, 12, 15)  # 7 days after declaring, by default
State = AbsenceDeclaration.CertificateState


@pytest.fixture
def maladie(db):
    return AbsenceReason.objects.get_or_create(label="Maladie")[0]


@pytest.fixture
def meals(town, media_root):
    """The nursery school meal, its certificate rule set per test."""

    def rule(kind, days=1):
        town.repas_maternelle.absence_certificate_rule = kind
        town.repas_maternelle.absence_certificate_days = days
        town.repas_maternelle.save()
        return town.repas_maternelle

    return rule


def png(name="certificat.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def declare(family, start, end, reason, *, certificate=None, now=SICK_MORNING):
    return absence_declare(
        guardian=family.parent, child=family.children[0], start=start, end=end, reason=reason, certificate=certificate,
        now=now,
    )[0]


@pytest.mark.parametrize(
    ("rule", "days", "start", "required"),
    [
        (AbsenceCertificateRule.NEVER, 1, MON, False),
        (AbsenceCertificateRule.OVER_DAYS, 1, MON, True),  # Monday and Tuesday: 2 days > 1
        (AbsenceCertificateRule.OVER_DAYS, 2, MON, False),
        (AbsenceCertificateRule.OVER_DAYS, 1, TUE, False),
        (AbsenceCertificateRule.AFTER_THE_DAY, 1, MON, True),  # Monday declared on Tuesday
        (AbsenceCertificateRule.AFTER_THE_DAY, 1, TUE, False),  # Tuesday declared on Tuesday morning
        (AbsenceCertificateRule.ALWAYS, 1, TUE, True),
    ],
)
def test_each_service_rule_decides_whether_a_certificate_is_required(
    family, town, maladie, meals, rule, days, start, required
):
    meals(rule, days)
    book(family.children[0], town.repas_maternelle, MON, TUE)
    declaration = declare(family, start, TUE, maladie)
    assert declaration.certificate_required is required
    assert declaration.certificate_due == DUE
    assert declaration.certificate_state(today=TUE) == (State.AWAITED if required else State.NOT_REQUIRED)


def test_the_rule_and_the_delay_read_in_french(town, settings):
    town.repas_maternelle.absence_certificate_rule = AbsenceCertificateRule.OVER_DAYS
    town.repas_maternelle.absence_certificate_days = 2
    assert town.repas_maternelle.absence_certificate_rule_label == "au-delà de 2 jours d'absence"


def test_a_missing_required_certificate_keeps_the_absence_pending_until_it_arrives(
    family, town, maladie, meals, staff_agent
):
    meals(AbsenceCertificateRule.ALWAYS)
    book(family.children[0], town.repas_maternelle, MON, TUE)
    declaration = declare(family, MON, TUE, maladie)
    declared = EmailLog.objects.get(kind="absence_declared")
    assert "Un certificat médical est demandé" in declared.body_text and "15/12/2026" in declared.body_text

    with pytest.raises(ValidationError, match="certificat médical exigé pour cette absence n'a pas été envoyé.*15/12/2026"):
        absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent, now=SICK_MORNING)
    declaration.refresh_from_db()
    assert declaration.status == "pending" and not Attendance.objects.exists()

    absence_certificate_add(guardian=family.parent, declaration=declaration, uploaded_file=png(),
                            now=SICK_MORNING + datetime.timedelta(days=2))
    declaration.refresh_from_db()
    certificate = declaration.certificate
    assert certificate.household == family.household and certificate.content_type == "image/png"
    assert certificate.document_type.code == "certificat-medical" and certificate.uploaded_by == family.parent
    assert not certificate.file.name.endswith("certificat.png")  # stored under a random name
    assert "certificat médical" in EmailLog.objects.get(kind="absence_certificate_received").body_text

    absence_review(declaration_id=declaration.pk, accept=True, staff_user=staff_agent, now=SICK_MORNING)
    assert Attendance.objects.filter(status="absent_justified").count() == 2
    certificate.refresh_from_db()
    assert certificate.status == HouseholdDocument.Status.ACCEPTED


def test_a_certificate_sent_with_the_declaration_is_checked_by_its_content(family, town, maladie, meals):
    meals(AbsenceCertificateRule.ALWAYS)
    book(family.children[0], town.repas_maternelle, MON)
    with pytest.raises(ValidationError, match="Certificat médical : Ce fichier n'est pas accepté"):
        declare(family, MON, MON, maladie, certificate=png("certificat.pdf", EXE))
    assert not AbsenceDeclaration.objects.exists() and not HouseholdDocument.objects.exists()

    declaration = declare(family, MON, MON, maladie, certificate=SimpleUploadedFile("scan.pdf", PDF))
    assert declaration.certificate.content_type == "application/pdf"
    assert declaration.certificate_state(today=TUE) == State.PROVIDED
    assert "Certificat médical : reçu." in EmailLog.objects.get(kind="absence_declared").body_text


def test_after_the_delay_the_certificate_is_refused_and_staff_may_refuse_the_absence(
    family, town, maladie, meals, staff_agent, settings
):
    settings.ABSENCE_CERTIFICATE_DAYS = 3
    meals(AbsenceCertificateRule.ALWAYS)
    book(family.children[0], town.repas_maternelle, MON)
    declaration = declare(family, MON, MON, maladie)
    assert declaration.certificate_due == datetime.date(2026, 12, 11)
    assert declaration.accepts_certificate(today=datetime.date(2026, 12, 11))
    late = datetime.datetime(2026, 12, 12, 0, 5, tzinfo=PARIS)
    assert declaration.certificate_state(today=late.date()) == State.OVERDUE
    with pytest.raises(ValidationError, match="délai pour envoyer le certificat médical est dépassé.*11/12/2026"):
        absence_certificate_add(guardian=family.parent, declaration=declaration, uploaded_file=png(), now=late)

    absence_review(declaration_id=declaration.pk, accept=False, refusal_reason="Certificat médical non reçu",
                   staff_user=staff_agent, now=late)
    with pytest.raises(ValidationError, match="déjà été examinée"):
        absence_certificate_add(guardian=family.parent, declaration=declaration, uploaded_file=png(), now=SICK_MORNING)


def test_only_the_household_adds_a_certificate(family, other_family, town, maladie, meals):
    meals(AbsenceCertificateRule.ALWAYS)
    book(family.children[0], town.repas_maternelle, MON)
    declaration = declare(family, MON, MON, maladie)
    with pytest.raises(PermissionDenied):
        absence_certificate_add(guardian=other_family.parent, declaration=declaration, uploaded_file=png(), now=SICK_MORNING)
    assert not HouseholdDocument.objects.exists()

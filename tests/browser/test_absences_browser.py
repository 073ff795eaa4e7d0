"""A late absence declared from a phone with its medical certificate, accepted by staff who see
the certificate in the admin, and left out of the month's invoice run. Clock frozen on Monday
30 November 2026 at 09:00 (Paris): Monday's meal can no longer be cancelled."""

import datetime
import io
from decimal import Decimal
from unittest import mock

import pytest
from playwright.sync_api import expect

from core.models import AbsenceCertificateRule, AbsenceDeclaration, AbsenceReason, EmailLog, InvoiceLine
from core.services import invoicing
from core.services.absences import absence_declare
from tests import factories
from tests.browser.conftest import admin_login, assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import horizontal_scroll
from tests.browser.test_portal_pages import log_in
from tests.browser.test_reservations import NOW

MONDAY, FRIDAY = datetime.date(2026, 11, 30), datetime.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def photo_of_a_certificate():
    """A phone's photo of a certificate: a real JPEG, as a camera gives."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 580, 380), outline="black", width=3)
    draw.text((60, 60), "CERTIFICAT MEDICAL", fill="black")
    draw.text((60, 120), "Junior TEST ne peut pas aller a l'ecole le 30/11/2026.", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_parent_declares_a_late_absence_with_a_certificate_from_a_phone_and_the_accepted_day_is_not_billed(
    phone_page, page, family, town, gestionnaire, media_root, transactional_db
):
    phone = phone_page
    junior, lise = family.children
    AbsenceReason.objects.get_or_create(label="Maladie")  # seeded by a migration, gone after another test's flush
    for activity in (town.repas_maternelle, town.repas_primaire):
        activity.absence_certificate_rule = AbsenceCertificateRule.AFTER_THE_DAY
        activity.save()
    town.repas_maternelle.absence_certificate_rule = AbsenceCertificateRule.ALWAYS
    town.repas_maternelle.save()
    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    factories.TariffFactory(activity=town.repas_maternelle, bracket=bracket, unit_price="3.70")
    for day in (FRIDAY, MONDAY):
        factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=day)

    log_in(phone)
    phone.goto("/espace-famille/")
    phone.get_by_role("link", name="Déclarer une absence").click()
    phone.get_by_role("heading", name="Déclarer une absence").wait_for()
    expect(phone.get_by_text("Repas maternelle : certificat médical demandé pour toute absence.")).to_be_visible()
    assert_no_serious_axe_violations(phone)
    assert horizontal_scroll(phone, "absences") is None

    phone.get_by_role("button", name="Déclarer l'absence").click()
    expect(phone.get_by_text("Choisissez l'enfant absent.")).to_be_visible()
    assert_no_serious_axe_violations(phone)

    phone.get_by_label("Junior TEST").check()
    phone.get_by_label("Du").fill("2026-11-30")
    phone.get_by_label("Motif").select_option(label="Maladie")
    phone.get_by_label("Précisions (facultatif)").fill("Fièvre depuis la nuit")
    phone.get_by_label("Certificat médical (si demandé)").set_input_files(
        files=[{"name": "IMG_2026.jpg", "mimeType": "image/jpeg", "buffer": photo_of_a_certificate()}]
    )
    phone.get_by_role("button", name="Déclarer l'absence").click()
    expect(phone.get_by_text("Absence de Junior déclarée (1 jour)")).to_be_visible()
    expect(phone.get_by_text("Certificat médical reçu.")).to_be_visible()
    expect(phone.get_by_text("À examiner", exact=True)).to_be_visible()
    screenshot(phone, "absence-declared-phone")
    assert_no_serious_axe_violations(phone)
    declaration = AbsenceDeclaration.objects.get()
    assert declaration.certificate_required and declaration.certificate.content_type == "image/jpeg"

    # The week grid shows the day declared, its name saying so.
    phone.goto("/espace-famille/?date=2026-11-30")
    monday = phone.get_by_role(
        "button", name="Junior TEST, Repas maternelle, lundi 30 novembre : réservé, délai dépassé, absence déclarée, à examiner"
    )
    expect(monday).to_be_visible()
    expect(phone.locator("td").filter(has=monday).get_by_text("Absence à examiner")).to_be_visible()
    assert horizontal_scroll(phone, "reservations with an absence") is None
    screenshot(phone, "absence-in-week-phone")

    # Staff review it in the admin, the certificate shown in the page.
    admin_login(page, gestionnaire.email, next_url="/admin/core/absencedeclaration/")
    expect(page.get_by_role("cell", name="Reçu", exact=True)).to_be_visible()
    page.locator(".field-declared_at a").first.click()
    certificate = page.get_by_role("img", name="Certificat médical de Junior TEST")
    expect(certificate).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", certificate.element_handle()) == 600  # the file, not a broken image
    screenshot(page, "absence-review-admin")
    page.get_by_label("Accepter : jours non facturés (absence justifiée)").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_load_state()
    declaration.refresh_from_db()
    assert declaration.status == "accepted" and declaration.reviewed_by == gestionnaire

    phone.goto("/espace-famille/absences/")
    expect(phone.get_by_text("Acceptée", exact=True)).to_be_visible()
    assert EmailLog.objects.filter(kind="absence_reviewed").count() == 1
    phone.goto("/espace-famille/?date=2026-11-30")
    expect(phone.get_by_text("Absence justifiée")).to_be_visible()

    # The month's invoice run bills Friday only.
    run = invoicing.invoice_run_create(regie=town.regie, month=MONDAY)
    invoicing.invoice_run_compute(run_id=run.pk)
    [line] = InvoiceLine.objects.filter(invoice__run=run, invoice__household=family.household)
    assert line.dates == [FRIDAY.isoformat()] and line.amount == Decimal("3.70")  # Monday 30 is not billed


def test_a_parent_adds_the_certificate_later_from_a_phone(phone_page, family, town, media_root, transactional_db):
    phone = phone_page
    lise = family.children[1]
    town.repas_primaire.absence_certificate_rule = AbsenceCertificateRule.ALWAYS
    town.repas_primaire.save()
    factories.BookingFactory(child=lise, activity=town.repas_primaire, date=MONDAY)
    maladie = AbsenceReason.objects.get_or_create(label="Maladie")[0]
    absence_declare(guardian=family.parent, child=lise, start=MONDAY, end=MONDAY, reason=maladie, now=NOW)

    log_in(phone)
    phone.goto("/espace-famille/absences/")
    expect(phone.get_by_text("Certificat médical demandé", exact=True)).to_be_visible()
    phone.get_by_role("link", name="Ajouter un certificat médical (absence de Lise du 30/11/2026)").click()
    phone.get_by_role("heading", name="Certificat médical").wait_for()
    assert_no_serious_axe_violations(phone)
    assert horizontal_scroll(phone, "absence certificate") is None
    phone.get_by_role("button", name="Envoyer le certificat").click()
    expect(phone.get_by_text("Choisissez le fichier du certificat médical.")).to_be_visible()
    assert_no_serious_axe_violations(phone)
    screenshot(phone, "absence-certificate-error-phone")
    phone.get_by_label("Certificat médical").set_input_files(
        files=[{"name": "certificat.jpg", "mimeType": "image/jpeg", "buffer": photo_of_a_certificate()}]
    )
    phone.get_by_role("button", name="Envoyer le certificat").click()
    expect(phone.get_by_text("Certificat médical de l'absence de Lise envoyé")).to_be_visible()
    expect(phone.get_by_text("Certificat médical : reçu")).to_be_visible()
    assert EmailLog.objects.filter(kind="absence_certificate_received").count() == 1

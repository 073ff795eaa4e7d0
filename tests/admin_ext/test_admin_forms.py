"""Every generic admin add/change form: it opens for an administrator, and it either goes through
the service that owns the rules or is read-only, the service's own staff page doing the writing
(CONVENTIONS.md, rule 10)."""

import datetime

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from core.models import Attendance, Booking, InvoiceRun
from tests import factories

# The generic forms left writable, each with why it breaks no rule a service owns. A new admin
# with a writable form fails test_writable_forms_are_the_known_ones until it is listed here (with
# a test of its rules) or made read-only.
WRITABLE = {
    "auth.group": "roles: permissions only",
    "core.user": "staff accounts (Django's user forms)",
    "core.regie": "reference data",
    "core.school": "reference data",
    "core.schoolyear": "reference data",
    "core.closure": "reference data",
    "core.deadlinerule": "reference data",
    "core.activity": "reference data",
    "core.quotientbracket": "reference data",
    "core.tariff": "reference data",
    "core.registrationwindow": "reference data (an ALSH period's registration dates, read by day_status)",
    "core.enrolment": "reference data of a family",
    "core.household": "a family's record",
    "core.guardian": "a family's record (a login is made by the accounts service; an account's address is read-only, changed by guardian_request_email_change)",
    "core.child": "a family's record",
    "core.news": "portal news",
    "core.absencereason": "reference data (the reasons parents choose)",
    "core.notice": "a draft only: notice_send (its « Envoyer » action) sends it; a sent notice is read-only",
    "core.publicpage": "the text of a page the law requires (rendered escaped by public_pages.page_html)",
    "core.documenttype": "reference data (the documents families are asked for)",
    "core.enrolmentcampaign": "reference data (a campaign's dates, services and documents)",
    "core.enrolmentrequest": "the decision only: request_decide (tests/admin_ext/test_enrolment_requests_admin.py)",
    "core.householddocument": "add: document_upload (save_model); change: document_review (tests/core/test_documents.py)",
    "core.invoicerun": "add only: invoice_run_create (save_model); issuing has its own actions",
    "core.payment": "add only: payment_record_manual (save_related)",
    "axes.accesslog": "django-axes' login log",
    "django_q.schedule": "django-q2's task schedules",
}
SERVICE_PAGES = {
    "core.booking": "admin:core_booking_override",
    "core.attendance": "admin:core_attendance_sheet",
}


@pytest.fixture
def demo_admin(client, db, administrateur):
    call_command("load_demo", verbosity=0)
    client.force_login(administrateur)
    return client


def _request_as(user, rf):
    request = rf.get("/admin/")
    request.user = user
    return request


def _label(model):
    return f"{model._meta.app_label}.{model._meta.model_name}"


def test_every_add_and_change_form_opens_for_an_administrator(demo_admin, administrateur, rf):
    from django.utils import timezone

    from core.models import Child, EnrolmentCampaign, EnrolmentRequest, FamilyAccountRequest, SchoolYear

    # One row of each model the demo does not hold, so that its change form opens too.
    factories.DocumentTypeFactory()
    campaign = EnrolmentCampaign.objects.create(school_year=SchoolYear.objects.first(), name="Inscriptions",
                                                opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=30))
    EnrolmentRequest.objects.create(campaign=campaign, child=Child.objects.first())
    FamilyAccountRequest.objects.create(family_name="Martin", address_line1="1 rue", postal_code="44000", city="V",
                                        client_key="x", created_at=timezone.now())
    request = _request_as(administrateur, rf)
    opened = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if model_admin.has_add_permission(request):
            response = demo_admin.get(reverse(f"{prefix}_add"))
            assert response.status_code == 200, f"{_label(model)} add → {response.status_code}"
            opened.add(_label(model))
        obj = model.objects.order_by("pk").first()
        if obj is not None:
            response = demo_admin.get(reverse(f"{prefix}_change", args=[obj.pk]))
            assert response.status_code == 200, f"{_label(model)} change → {response.status_code}"
            opened.add(_label(model))
    # Every form left writable was opened at least once (its add form, or a row's change form).
    assert set(WRITABLE) <= opened, sorted(set(WRITABLE) - opened)


def test_writable_forms_are_the_known_ones(demo_admin, administrateur, rf):
    request = _request_as(administrateur, rf)
    writable = set()
    for model, model_admin in admin.site._registry.items():
        obj = model.objects.order_by("pk").first()
        if model_admin.has_add_permission(request) or (obj and model_admin.has_change_permission(request, obj)):
            writable.add(_label(model))
    assert writable == set(WRITABLE)
    assert not writable & set(SERVICE_PAGES)


@pytest.mark.parametrize(("label", "page"), SERVICE_PAGES.items())
def test_a_service_owned_record_is_read_in_the_admin_and_written_on_its_page(demo_admin, administrateur, label, page):
    app_label, model_name = label.split(".")
    prefix = f"admin:{app_label}_{model_name}"
    model = next(m for m in admin.site._registry if _label(m) == label)
    obj = model.objects.order_by("pk").first()
    if obj is None:  # the demo records no attendance
        booking = Booking.objects.order_by("pk").first()
        obj = Attendance.objects.create(child=booking.child, activity=booking.activity, date=booking.date,
                                        status=Attendance.Status.PRESENT, recorded_by=administrateur)
    change = demo_admin.get(reverse(f"{prefix}_change", args=[obj.pk])).content.decode()
    assert 'name="_save"' not in change
    assert demo_admin.get(reverse(f"{prefix}_add")).status_code == 403
    assert demo_admin.get(reverse(f"{prefix}_delete", args=[obj.pk])).status_code == 403
    assert demo_admin.get(reverse(page)).status_code == 200


# --- Bookings: booking_override owns a staff booking or cancellation ---------------------------------


def test_cancelling_a_booking_in_the_change_form_is_refused_not_a_server_error(client, gestionnaire, family, town):
    booking = factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=datetime.date(2026, 9, 3))
    client.force_login(gestionnaire)
    response = client.post(reverse("admin:core_booking_change", args=[booking.pk]), {
        "child": booking.child_id, "activity": booking.activity_id, "date": "2026-09-03", "status": "cancelled",
    })
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_the_booking_add_form_is_refused_and_the_override_page_books(client, gestionnaire, family, town):
    client.force_login(gestionnaire)
    data = {"child": family.children[0].pk, "activity": town.repas_maternelle.pk, "date": "2026-09-03", "status": "booked"}
    assert client.post(reverse("admin:core_booking_add"), data).status_code == 403
    assert not Booking.objects.exists()
    changelist = client.get(reverse("admin:core_booking_changelist")).content.decode()
    assert "Réserver / annuler hors délai" in changelist


def test_the_override_page_cancels_a_booking_and_keeps_its_date(client, gestionnaire, family, town):
    booking = factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=datetime.date(2026, 9, 3))
    client.force_login(gestionnaire)
    data = {"child": booking.child_id, "activity": booking.activity_id, "day": "2026-09-03", "action": "cancel"}
    assert client.post(reverse("admin:core_booking_override"), data).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.is_override and booking.cancelled_by == gestionnaire
    response = client.post(reverse("admin:core_booking_override"), data)  # nothing left to cancel
    assert response.status_code == 200 and "n&#x27;a pas de réservation à annuler ce jour-là" in response.content.decode()


def test_reverting_a_booking_from_its_history_is_refused(client, gestionnaire, family, town):
    booking = factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=datetime.date(2026, 9, 3))
    booked = booking.history.earliest()
    booking.status, booking.cancelled_at = Booking.Status.CANCELLED, datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC)
    booking.save()
    client.force_login(gestionnaire)
    url = reverse("admin:core_booking_simple_history", args=[booking.pk, booked.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


# --- Attendance: attendance_record refuses a day whose invoice run was issued -------------------------


@pytest.fixture
def invoiced_attendance(family, town, staff_agent):
    day = datetime.date(2026, 9, 3)
    factories.BookingFactory(child=family.children[0], activity=town.repas_maternelle, date=day)
    attendance = Attendance.objects.create(
        child=family.children[0], activity=town.repas_maternelle, date=day, status=Attendance.Status.PRESENT,
        recorded_by=staff_agent,
    )
    factories.InvoiceRunFactory(regie=town.repas_maternelle.regie, month=day.replace(day=1), status=InvoiceRun.Status.ISSUED)
    return attendance


def test_changing_an_invoiced_attendance_in_the_admin_is_refused(client, gestionnaire, invoiced_attendance):
    client.force_login(gestionnaire)
    attendance = invoiced_attendance
    response = client.post(reverse("admin:core_attendance_change", args=[attendance.pk]), {
        "child": attendance.child_id, "activity": attendance.activity_id, "date": "2026-09-03", "status": "absent_justified",
    })
    assert response.status_code == 403
    assert client.post(reverse("admin:core_attendance_delete", args=[attendance.pk]), {"post": "yes"}).status_code == 403
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.PRESENT


def test_the_attendance_sheet_refuses_an_invoiced_day_in_french(client, gestionnaire, invoiced_attendance):
    client.force_login(gestionnaire)
    attendance = invoiced_attendance
    response = client.post(reverse("admin:core_attendance_sheet"), {
        "school": attendance.child.school_id, "activity": attendance.activity_id, "day": "2026-09-03",
        "child": attendance.child_id, "status": "absent_justified",
    }, follow=True)
    assert response.status_code == 200 and "déjà été facturé" in response.content.decode()
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.PRESENT


@pytest.mark.parametrize("far", ["01/01/0001", "31/12/9999"])
def test_the_override_page_refuses_a_day_beyond_the_booking_horizon_in_french(client, gestionnaire, family, town, far):
    client.force_login(gestionnaire)
    data = {"child": family.children[0].pk, "activity": town.repas_maternelle.pk, "day": far, "action": "book"}
    response = client.post(reverse("admin:core_booking_override"), data)
    assert response.status_code == 200
    assert "Choisissez une date à moins de deux ans d&#x27;aujourd&#x27;hui." in response.content.decode()
    assert not Booking.objects.exists()

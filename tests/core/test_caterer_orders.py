"""The caterer's order: at the cut-off, each school's meal counts for the day that just locked go
to its kitchen once, as a PDF and a spreadsheet (counts, never names); a staff override after the
cut-off sends a correction."""

import datetime
import io

import pytest
from django.core import mail
from openpyxl import load_workbook

from core.constants import PARIS
from core.models import CatererOrder
from core.services import caterer_orders
from core.services.bookings import booking_override
from tests import factories

THURSDAY = datetime.date(2026, 12, 3)
BEFORE_CUTOFF = datetime.datetime(2026, 12, 1, 9, 59, tzinfo=PARIS)  # meals: J-2 working days, 10h
AFTER_CUTOFF = datetime.datetime(2026, 12, 1, 10, 1, tzinfo=PARIS)


@pytest.fixture
def kitchen(town, family, other_family, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    town.maternelle.caterer_email = "cuisine@tilleuls.example"
    town.maternelle.save()
    junior = family.children[0]
    junior.diet, junior.has_pai = "Sans porc", True
    junior.save()
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=THURSDAY)
    factories.BookingFactory(child=other_family.children[0], activity=town.repas_maternelle, date=THURSDAY)
    factories.BookingFactory(child=family.children[1], activity=town.repas_primaire, date=THURSDAY)  # élémentaire: no address
    return town


def run(capture, now):
    with capture(execute=True):
        return caterer_orders.caterer_orders_send_due(now=now)


def test_nothing_is_sent_before_the_cutoff(kitchen, django_capture_on_commit_callbacks):
    assert run(django_capture_on_commit_callbacks, BEFORE_CUTOFF) == []
    assert not CatererOrder.objects.exists() and not mail.outbox


def test_at_the_cutoff_the_locked_day_is_ordered_once_with_pdf_and_spreadsheet(kitchen, django_capture_on_commit_callbacks):
    (order,) = run(django_capture_on_commit_callbacks, AFTER_CUTOFF)
    order.refresh_from_db()
    assert (order.school, order.day, order.kind, order.total) == (kitchen.maternelle, THURSDAY, "order", 2)
    assert order.counts["rows"] == [{"activity": "Repas maternelle", "count": 2, "pai": 1, "allergies": 0}]
    assert order.counts["diets"] == [{"activity": "Repas maternelle", "diet": "Sans porc", "count": 1}]
    (email,) = mail.outbox
    assert email.to == ["cuisine@tilleuls.example"] and "2 repas" in email.subject
    names = [name for name, _, _ in email.attachments]
    assert names[0].endswith(".pdf") and names[1].endswith(".xlsx")
    assert email.attachments[0][1].startswith(b"%PDF")
    assert "Junior" not in email.body
    assert caterer_orders.caterer_order_context(order) | {"total_pai": 1, "total_allergies": 0} == \
        caterer_orders.caterer_order_context(order)
    sheet = load_workbook(io.BytesIO(email.attachments[1][1]))["Repas"]
    assert [c.value for c in sheet[3]] == ["Repas maternelle", 2, 1, 0]
    assert run(django_capture_on_commit_callbacks, AFTER_CUTOFF + datetime.timedelta(minutes=10)) == []
    assert len(mail.outbox) == 1 and CatererOrder.objects.count() == 1


def test_a_claimed_order_is_not_sent_again(kitchen, django_capture_on_commit_callbacks):
    (order,) = run(django_capture_on_commit_callbacks, AFTER_CUTOFF)
    assert caterer_orders.caterer_order_send(order_id=order.pk, now=AFTER_CUTOFF) is False


def test_a_staff_override_after_the_cutoff_sends_a_correction(kitchen, family, staff_agent, django_capture_on_commit_callbacks):
    run(django_capture_on_commit_callbacks, AFTER_CUTOFF)
    with django_capture_on_commit_callbacks(execute=True):
        booking_override(child=family.children[0], activity=kitchen.repas_maternelle, day=THURSDAY, action="cancel",
                         staff_user=staff_agent, now=AFTER_CUTOFF)
    correction = CatererOrder.objects.get(kind="correction")
    assert correction.total == 1 and correction.sent_at is not None
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith("Correctif de repas")


def test_an_override_after_the_cutoff_of_a_day_without_meals_sends_the_order(
    kitchen, family, staff_agent, django_capture_on_commit_callbacks
):
    friday = THURSDAY + datetime.timedelta(days=1)
    at = datetime.datetime(2026, 12, 2, 10, 1, tzinfo=PARIS)
    assert run(django_capture_on_commit_callbacks, at) == [CatererOrder.objects.get(day=THURSDAY)]  # Friday: no meal
    with django_capture_on_commit_callbacks(execute=True):
        booking_override(child=family.children[0], activity=kitchen.repas_maternelle, day=friday, action="book",
                         staff_user=staff_agent, now=at)
    order = CatererOrder.objects.get(day=friday)
    assert (order.kind, order.total) == ("order", 1) and len(mail.outbox) == 2


def test_an_override_before_the_cutoff_sends_nothing(kitchen, family, staff_agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_override(child=family.children[0], activity=kitchen.repas_maternelle, day=THURSDAY, action="cancel",
                         staff_user=staff_agent, now=BEFORE_CUTOFF)
    assert not CatererOrder.objects.exists() and not mail.outbox


def test_a_school_closed_that_day_gets_no_order(kitchen, django_capture_on_commit_callbacks):
    factories.ClosureFactory(name="Grève", kind="greve", start_date=THURSDAY, end_date=THURSDAY, school=kitchen.maternelle)
    assert run(django_capture_on_commit_callbacks, AFTER_CUTOFF) == []


def test_orders_are_kept_read_only_in_the_admin_with_their_files(kitchen, admin_client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    (order,) = run(django_capture_on_commit_callbacks, AFTER_CUTOFF)
    page = admin_client.get(reverse("admin:core_catererorder_changelist")).content.decode()
    assert "École maternelle Les Tilleuls" in page
    for kind, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
        response = admin_client.get(reverse("admin:core_catererorder_file", args=[order.pk, kind]))
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(magic)
    assert admin_client.get(reverse("admin:core_catererorder_file", args=[order.pk, "autre"])).status_code == 404
    assert admin_client.get(reverse("admin:core_catererorder_add")).status_code == 403
    change = admin_client.post(reverse("admin:core_catererorder_change", args=[order.pk]), {"total": 99})
    order.refresh_from_db()
    assert order.total == 2 and change.status_code in (302, 403)

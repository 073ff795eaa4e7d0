"""What the kitchen and a parent read, drawn in Chromium: the caterer's order (the PDF's page)
and the strike notice email. Screenshots in test-artifacts/screenshots/ to look at."""

import datetime

import pytest
from django.core import mail
from django.template.loader import render_to_string

from core.constants import PARIS
from core.models import Notice
from core.services import caterer_orders, notices
from tests import factories
from tests.browser.conftest import screenshot

THURSDAY = datetime.date(2026, 12, 3)
AFTER_CUTOFF = datetime.datetime(2026, 12, 1, 10, 1, tzinfo=PARIS)


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 794, "height": 1123}, locale="fr-FR")
    yield context.new_page()
    context.close()


def test_the_caterer_order_page_reads_as_a_kitchen_order(browser_page, town, family, other_family, media_root,
                                                        django_capture_on_commit_callbacks):
    town.maternelle.caterer_email = "cuisine@tilleuls.example"
    town.maternelle.save()
    junior = family.children[0]
    junior.diet, junior.has_pai, junior.allergies = "Sans porc", True, "Arachide"
    junior.save()
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=THURSDAY)
    factories.BookingFactory(child=other_family.children[0], activity=town.repas_maternelle, date=THURSDAY)
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = caterer_orders.caterer_orders_send_due(now=AFTER_CUTOFF)
    order.refresh_from_db()
    html = render_to_string("caterer/order.html", {"town_name": "Mairie de Valbourg", **caterer_orders.caterer_order_context(order)})
    browser_page.set_content(html)
    browser_page.emulate_media(media="print")
    text = browser_page.inner_text("body")
    assert "Junior" not in text and "Arachide" not in text
    assert browser_page.locator("tr.total").inner_text().split() == ["Total", "2", "1", "1"]
    screenshot(browser_page, "caterer-order-pdf-page")
    (email,) = mail.outbox
    browser_page.set_content(email.alternatives[0][0])
    screenshot(browser_page, "caterer-order-email")


def test_the_strike_notice_email_reads_well(browser_page, town, family, django_capture_on_commit_callbacks):
    notice = Notice.objects.create(
        title="Grève jeudi : pas de cantine à l'école Jules-Ferry",
        body="Le service de restauration ne sera pas assuré jeudi 3 décembre.\n\nMerci de prévoir un panier-repas.",
        school=town.elementaire, first_day=THURSDAY, by_email=True, on_home=True, shown_until=THURSDAY, close_days=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_send(notice_id=notice.pk, now=AFTER_CUTOFF)
    (email,) = mail.outbox
    browser_page.set_content(email.alternatives[0][0])
    screenshot(browser_page, "notice-email")
    note = "Les réservations du jeudi 3 décembre 2026 sont annulées : elles ne vous seront pas facturées."
    assert browser_page.get_by_text(note).is_visible() and note in email.body

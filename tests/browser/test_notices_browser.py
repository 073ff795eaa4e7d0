"""The strike notice on a family's home page in Chromium: a named region, axe clean, no
horizontal scrolling at 320 px."""

import datetime
from unittest import mock

import pytest

from core.constants import PARIS
from core.models import Notice
from core.services import notices
from tests.browser.conftest import assert_no_serious_axe_violations, screenshot
from tests.browser.test_accessibility_reflow import horizontal_scroll, narrow_page  # noqa: F401 (fixture)
from tests.browser.test_portal_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_the_families_of_the_school_see_the_strike_banner(narrow_page, family, town):
    notice = Notice.objects.create(
        title="Grève jeudi : pas de cantine à l'école Jules-Ferry",
        body="Le service de restauration ne sera pas assuré jeudi 3 décembre.\n\nMerci de prévoir un panier-repas.",
        school=town.elementaire, first_day=datetime.date(2026, 12, 3), on_home=True, by_email=False,
        shown_until=datetime.date(2026, 12, 3), close_days=True,
    )
    notices.notice_send(notice_id=notice.pk)
    page = narrow_page
    log_in(page)
    region = page.get_by_role("region", name="Avis important de la mairie")
    assert region.get_by_role("heading", name="Grève jeudi : pas de cantine à l'école Jules-Ferry").is_visible()
    assert horizontal_scroll(page, "home with a notice") is None
    screenshot(page, "notice-banner-320")
    assert_no_serious_axe_violations(page)

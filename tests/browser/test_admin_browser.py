from django.core.management import call_command

from tests.browser.conftest import admin_login, screenshot
from playwright.sync_api import expect


def test_staff_logs_into_the_admin_and_sees_the_demo_town(page, transactional_db):
    call_command("load_demo", verbosity=0)
    # The demo administrator's first login sets up the second factor (screenshots of each step).
    admin_login(page, "admin@example.org", shots="admin-two-factor")
    screenshot(page, "admin-dashboard")
    page.goto("/admin/core/household/")
    expect(page.get_by_text("TEST", exact=True).first).to_be_visible()
    screenshot(page, "admin-households")


def test_a_regisseur_confirms_the_login_with_the_code_of_the_app(page, transactional_db):
    from tests import factories

    user = factories.RoleStaffFactory(email="regisseur@mairie.test", role="Régisseur")
    factories.TOTPDeviceFactory(user=user)
    admin_login(page, user.email, next_url="/admin/core/invoice/", shots="admin-two-factor")
    assert page.url.endswith("/admin/core/invoice/")
    expect(page.get_by_text("Vérification en deux étapes")).to_have_count(0)

from django.core.management import call_command

from tests.browser.conftest import screenshot
from playwright.sync_api import expect


def test_staff_logs_into_the_admin_and_sees_the_demo_town(page, transactional_db):
    call_command("load_demo", verbosity=0)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Adresse email").fill("admin@example.org")
    page.get_by_label("Mot de passe").fill("espacefamille")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/admin/")
    screenshot(page, "admin-dashboard")
    page.goto("/admin/core/household/")
    expect(page.get_by_text("TEST", exact=True).first).to_be_visible()
    screenshot(page, "admin-households")
